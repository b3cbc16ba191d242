package dev.coloha.containers;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import tools.jackson.databind.JsonNode;

/** Waits on the coordinator's view of the cluster. */
final class Cluster {
  private Cluster() {}

  /** Until {@code hosts} hosts (agent and mirror each, not lost) and a proxy have registered. */
  static void awaitRegistered(ColoApi api, String coordinator, int hosts) {
    await()
        .atMost(Duration.ofSeconds(240))
        .pollInterval(Duration.ofMillis(250))
        .ignoreExceptions()
        .until(
            () -> {
              int n = 0;
              for (JsonNode h : api.get(coordinator + "/v1/hosts").json()) {
                if (!h.path("agentUrl").asString("").isEmpty()
                    && !h.path("mirrorUrl").asString("").isEmpty()
                    && !h.path("lost").asBoolean()) {
                  n++;
                }
              }
              return n >= hosts && api.get(coordinator + "/v1/proxies").json().size() >= 1;
            });
  }

  static JsonNode awaitState(ColoApi api, String coordinator, String group, String state) {
    return await()
        .atMost(Duration.ofSeconds(300))
        .pollInterval(Duration.ofMillis(250))
        .until(
            () -> api.group(coordinator, group),
            g -> {
              if (g == null) {
                return false;
              }
              String now = g.path("state").asString();
              boolean stuck =
                  now.equals("FAILED") || (now.equals("DEGRADED") && g.path("primary").isNull());
              if (stuck && !now.equals(state)) {
                throw new AssertionError("group " + group + " will not become " + state + ": " + g);
              }
              return state.equals(now);
            });
  }
}
