package dev.coloha.helm;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.MappingIterator;
import tools.jackson.dataformat.yaml.YAMLMapper;

/** The objects {@code helm template} rendered, parsed from its multi-document YAML. */
record RenderedChart(List<JsonNode> objects) {
  private static final YAMLMapper YAML = new YAMLMapper();

  static RenderedChart parse(String manifests) {
    List<JsonNode> objects = new ArrayList<>();
    try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(manifests)) {
      while (it.hasNext()) {
        JsonNode n = it.next();
        if (n != null && n.isObject() && n.has("kind")) {
          objects.add(n);
        }
      }
    }
    return new RenderedChart(objects);
  }

  List<JsonNode> ofKind(String kind) {
    return objects.stream().filter(o -> kind.equals(o.path("kind").asString())).toList();
  }

  Optional<JsonNode> find(String kind, String nameSuffix) {
    return ofKind(kind).stream()
        .filter(o -> o.path("metadata").path("name").asString().endsWith(nameSuffix))
        .findFirst();
  }

  JsonNode get(String kind, String nameSuffix) {
    return find(kind, nameSuffix)
        .orElseThrow(() -> new AssertionError("no " + kind + " named *" + nameSuffix));
  }

  /** The containers of a workload's pod template. */
  static List<JsonNode> containers(JsonNode workload) {
    List<JsonNode> out = new ArrayList<>();
    workload.path("spec").path("template").path("spec").path("containers").forEach(out::add);
    return out;
  }

  static JsonNode container(JsonNode workload, String name) {
    return containers(workload).stream()
        .filter(c -> name.equals(c.path("name").asString()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no container " + name));
  }

  static Optional<JsonNode> env(JsonNode container, String name) {
    for (JsonNode e : container.path("env")) {
      if (name.equals(e.path("name").asString())) {
        return Optional.of(e);
      }
    }
    return Optional.empty();
  }
}
