package dev.coloha.proxy.replica;

import dev.coloha.proxy.group.Commit;
import dev.coloha.proxy.group.ReplicaRef;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Asks a primary's agent for a checkpoint: {@code POST {agent}/v1/vms/{vm}/checkpoint {epoch,
 * sequence}} with the deployment's shared token, the call the coordinator makes. The agent
 * captures, streams the checkpoint to its secondary and answers once the secondary applied it, with
 * the offsets at the pause: what a commit needs. Any other answer is a {@link
 * AgentCheckpointException} naming the problem.
 */
public final class AgentCheckpoints {
  private final HttpClient http;
  private final Map<String, String> headers;
  private final Duration timeout;
  private final JsonMapper json = JsonMapper.builder().build();

  /**
   * @param headers on every call (the shared token)
   * @param connectTimeout TCP connect timeout to an agent
   * @param timeout the longest wait for one answer
   */
  public AgentCheckpoints(Map<String, String> headers, Duration connectTimeout, Duration timeout) {
    this.headers = Map.copyOf(headers);
    this.timeout = timeout;
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(connectTimeout)
            .build();
  }

  /**
   * Checkpoint {@code sequence} (null: the agent's next number) of the primary in {@code epoch}.
   *
   * @return the checkpoint as a commit of {@code epoch}
   * @throws AgentCheckpointException if the agent refused it, failed it or did not answer
   */
  public Commit checkpoint(ReplicaRef primary, long epoch, Long sequence) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("epoch", epoch);
    if (sequence != null) {
      body.put("sequence", sequence);
    }
    HttpRequest.Builder b =
        HttpRequest.newBuilder(
                URI.create(
                    primary.agentUrl()
                        + "/v1/vms/"
                        + URLEncoder.encode(primary.vm(), StandardCharsets.UTF_8)
                        + "/checkpoint"))
            .timeout(timeout)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body)));
    headers.forEach(b::header);
    HttpResponse<String> r;
    try {
      r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (HttpTimeoutException e) {
      throw new AgentCheckpointException(
          0, "timeout", "no answer within colo.proxy.self-checkpoint.timeout (" + timeout + ")");
    } catch (IOException e) {
      throw new AgentCheckpointException(0, "unreachable", String.valueOf(e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AgentCheckpointException(0, "interrupted", "interrupted");
    }
    if (r.statusCode() != 200) {
      throw refused(r);
    }
    try {
      JsonNode a = json.readTree(r.body());
      return new Commit(
          epoch,
          a.get("sequence").asLong(),
          offsets(a.get("outputOffsets")),
          offsets(a.get("inputOffsets")),
          connections(a.get("closedConnections")));
    } catch (RuntimeException e) {
      throw new AgentCheckpointException(
          r.statusCode(), "bad-answer", "the agent's answer is not a checkpoint: " + e);
    }
  }

  private AgentCheckpointException refused(HttpResponse<String> r) {
    String problem = "http-" + r.statusCode();
    String detail = r.body();
    try {
      JsonNode p = json.readTree(r.body());
      String type = p.path("type").asString("");
      if (!type.isEmpty()) {
        problem = type.substring(type.lastIndexOf('/') + 1);
      }
      if (p.hasNonNull("detail")) {
        detail = p.get("detail").asString();
      }
    } catch (RuntimeException notJson) {
      // keep the status and the body
    }
    return new AgentCheckpointException(r.statusCode(), problem, detail);
  }

  private static Map<Integer, Long> offsets(JsonNode list) {
    Map<Integer, Long> out = new HashMap<>();
    if (list != null) {
      for (JsonNode o : list) {
        out.put(o.get("conn").asInt(), o.get("offset").asLong());
      }
    }
    return out;
  }

  private static Set<Integer> connections(JsonNode list) {
    Set<Integer> out = new HashSet<>();
    if (list != null) {
      for (JsonNode c : list) {
        out.add(c.asInt());
      }
    }
    return out;
  }
}
