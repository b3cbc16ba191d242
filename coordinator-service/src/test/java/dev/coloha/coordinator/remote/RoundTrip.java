package dev.coloha.coordinator.remote;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.testkit.Http;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A contract check for one answer of a real service: read into its colo-api record as the
 * coordinator's {@link Remote} reads it, the record written back is the JSON the controller sent,
 * member for member (absent and null members are the same).
 */
final class RoundTrip {
  private RoundTrip() {}

  /** The answer {@code reply} read into {@code type}, after asserting that it round-trips. */
  static <T> T of(JsonMapper json, Http.Reply reply, Class<T> type) {
    assertThat(reply.status()).as(reply.body()).isBetween(200, 299);
    JsonNode sent = withoutNulls(json.readTree(reply.body()));
    T record = json.readValue(reply.body(), type);
    JsonNode back = withoutNulls(json.readTree(json.writeValueAsString(record)));
    assertThat(back).as(type.getSimpleName() + " written back").isEqualTo(sent);
    return record;
  }

  private static JsonNode withoutNulls(JsonNode node) {
    if (node instanceof ObjectNode o) {
      List<String> names = new ArrayList<>();
      for (Map.Entry<String, JsonNode> e : o.properties()) {
        if (e.getValue().isNull()) {
          names.add(e.getKey());
        } else {
          withoutNulls(e.getValue());
        }
      }
      names.forEach(o::remove);
    } else if (node instanceof ArrayNode a) {
      a.forEach(RoundTrip::withoutNulls);
    }
    return node;
  }
}
