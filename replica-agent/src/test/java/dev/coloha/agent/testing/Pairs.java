package dev.coloha.agent.testing;

import static dev.coloha.testkit.Http.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.testkit.ServiceProcess;
import java.time.Duration;
import tools.jackson.databind.JsonNode;

/** Forms primary/secondary pairs between agent processes in tests. */
public final class Pairs {
  private Pairs() {}

  /**
   * Uploads the {@code dirty} test guest ({@code wasm}) to {@code host} and creates VM {@code id}
   * of it, without a disk.
   */
  public static void dirtyVm(
      ServiceProcess host, String id, byte[] wasm, long memoryBytes, boolean start) {
    ok(host.api().put("/v1/guests/dirty", "application/wasm", wasm));
    ok(
        host.api()
            .post(
                "/v1/vms",
                "{\"id\":\""
                    + id
                    + "\",\"guest\":\"dirty\",\"diskBytes\":0,\"memoryBytes\":"
                    + memoryBytes
                    + ",\"start\":"
                    + start
                    + "}"));
  }

  /** Makes {@code s} the secondary and {@code p} the primary, and waits for the initial sync. */
  public static void pair(
      ServiceProcess primaryHost, String p, ServiceProcess secondaryHost, String s, long epoch) {
    ok(secondaryHost.api().post("/v1/vms/" + s + "/secondary", "{\"epoch\":" + epoch + "}"));
    JsonNode started =
        ok(
            primaryHost
                .api()
                .post(
                    "/v1/vms/" + p + "/primary",
                    "{\"epoch\":"
                        + epoch
                        + ",\"secondary\":{\"agentUrl\":\""
                        + secondaryHost.url()
                        + "\",\"vm\":\""
                        + s
                        + "\"}}"));
    assertThat(started.get("role").asString()).isEqualTo("PRIMARY");
    awaitLink(primaryHost, p, "PROTECTED");
    assertThat(ok(secondaryHost.api().get("/v1/vms/" + s + "/replication")).get("state").asString())
        .isEqualTo("PROTECTED");
  }

  public static void awaitLink(ServiceProcess host, String vm, String state) {
    await("link of " + vm + " is " + state)
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> {
              JsonNode st = ok(host.api().get("/v1/vms/" + vm + "/replication"));
              assertThat(st.get("state").asString()).as(st.toString()).isEqualTo(state);
            });
  }
}
