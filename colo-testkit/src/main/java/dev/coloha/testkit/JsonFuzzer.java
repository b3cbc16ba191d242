package dev.coloha.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.Supplier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Random mutations of valid JSON request bodies (seeded, so a failure repeats): a field removed,
 * added, or given a value of another type or out of any range; the body cut short. A service must
 * answer each with a 2xx or a 4xx problem document, never a 5xx, and a refused request must change
 * nothing.
 */
public final class JsonFuzzer {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private final Random random;

  public JsonFuzzer(long seed) {
    this.random = new Random(seed);
  }

  /** What the fuzz run saw. */
  public record Outcome(int sent, int accepted, int refused) {}

  /**
   * Sends {@code count} mutations of the valid bodies and checks every answer.
   *
   * @param state what the service holds (e.g. its list of groups); must not change on a 4xx
   * @param accepted called with a 2xx answer's body (e.g. to delete what it created)
   */
  public Outcome run(
      Http api,
      String method,
      String path,
      List<String> valid,
      int count,
      Supplier<String> state,
      Consumer<Http.Reply> accepted) {
    int ok = 0;
    int refused = 0;
    for (int i = 0; i < count; i++) {
      JsonNode base = JSON.readTree(valid.get(random.nextInt(valid.size())));
      String body = mutate(base);
      String before = state.get();
      Http.Reply r = api.json(method, path, body);
      String shown = r.body().length() > 300 ? r.body().substring(0, 300) + "..." : r.body();
      assertThat(r.status()).as("#%d %s %s -> %s", i, method, body, shown).isLessThan(500);
      if (r.status() >= 400) {
        refused++;
        assertThat(r.isProblem()).as("#%d %s -> %s", i, body, r.contentType()).isTrue();
        assertThat(r.json().get("type").asString()).startsWith("https://coloha.dev/problems/");
        assertThat(r.json().get("detail")).as("#%d %s", i, body).isNotNull();
        assertThat(state.get())
            .as("#%d refused %s but changed the state", i, body)
            .isEqualTo(before);
      } else {
        ok++;
        accepted.accept(r);
      }
    }
    return new Outcome(count, ok, refused);
  }

  /** One mutation of a copy of {@code valid}, as text. */
  public String mutate(JsonNode valid) {
    JsonNode copy = valid.deepCopy();
    int kind = random.nextInt(10);
    if (kind == 0) {
      String text = copy.toString();
      return text.substring(0, random.nextInt(Math.max(1, text.length())));
    }
    List<ObjectNode> objects = new ArrayList<>();
    collect(copy, objects);
    if (objects.isEmpty()) {
      return weird().toString();
    }
    ObjectNode target = objects.get(random.nextInt(objects.size()));
    List<String> names = new ArrayList<>(target.propertyNames());
    switch (kind) {
      case 1 -> target.set("unexpected" + random.nextInt(1000), weird());
      case 2 -> {
        if (!names.isEmpty()) {
          target.remove(names.get(random.nextInt(names.size())));
        }
      }
      default -> {
        if (names.isEmpty()) {
          target.set("x", weird());
        } else {
          target.set(names.get(random.nextInt(names.size())), weird());
        }
      }
    }
    return copy.toString();
  }

  private static void collect(JsonNode n, List<ObjectNode> into) {
    if (n instanceof ObjectNode o) {
      into.add(o);
      o.values().forEach(v -> collect(v, into));
    } else if (n instanceof ArrayNode a) {
      a.values().forEach(v -> collect(v, into));
    }
  }

  /** A value of a random type, often at or past the edge of any sensible range. */
  JsonNode weird() {
    return switch (random.nextInt(18)) {
      case 0 -> NODES.nullNode();
      case 1 -> NODES.stringNode("");
      case 2 -> NODES.stringNode("x".repeat(1 + random.nextInt(10_000)));
      case 3 -> NODES.numberNode(-1);
      case 4 -> NODES.numberNode(0);
      case 5 -> NODES.numberNode(Long.MAX_VALUE);
      case 6 -> NODES.numberNode(Long.MIN_VALUE);
      case 7 -> NODES.numberNode(1.5);
      case 8 -> NODES.numberNode(1e308);
      case 9 -> NODES.numberNode(new java.math.BigInteger("99999999999999999999999999"));
      case 10 -> NODES.booleanNode(random.nextBoolean());
      case 11 -> NODES.arrayNode().add(1).add("a");
      case 12 -> NODES.objectNode().put("k", "v");
      case 13 -> NODES.stringNode("../../etc/passwd");
      case 14 -> NODES.stringNode("file:///etc/passwd");
      case 15 -> NODES.numberNode(Integer.MAX_VALUE + 1L);
      case 16 -> NODES.stringNode("\u0000\u202e\uD83D\uDE00");
      default -> NODES.numberNode(random.nextInt(70_000));
    };
  }
}
