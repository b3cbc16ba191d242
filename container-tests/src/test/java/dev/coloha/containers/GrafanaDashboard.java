package dev.coloha.containers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The COLO HA Grafana dashboard (docker/grafana/dashboards/colo-ha.json): its panels and their
 * PromQL queries, and the queries as Grafana sends them to Prometheus (variables replaced).
 */
record GrafanaDashboard(JsonNode json, List<Panel> panels) {
  static final String RELATIVE_PATH = "docker/grafana/dashboards/colo-ha.json";

  /**
   * What Grafana puts for {@code $__rate_interval} with the datasource's 5 s scrape interval
   * ({@code timeInterval}): four scrape intervals.
   */
  static final String RATE_INTERVAL = "20s";

  /** One query of a panel. */
  record Query(String refId, String expr) {
    /** The query as Grafana sends it: every group ("All", allValue .*), the rate interval. */
    String promql() {
      return expr.replace("$__rate_interval", RATE_INTERVAL)
          .replace("${group}", ".*")
          .replace("$group", ".*");
    }
  }

  /** A panel; rows have no queries. */
  record Panel(int id, String type, String title, JsonNode datasource, List<Query> queries) {
    boolean isRow() {
      return "row".equals(type);
    }
  }

  static GrafanaDashboard of(Path root) {
    Path file = root.resolve(RELATIVE_PATH);
    JsonNode json;
    try {
      json = JsonMapper.builder().build().readTree(Files.readString(file));
    } catch (IOException e) {
      throw new IllegalStateException(file + " cannot be read", e);
    }
    List<Panel> panels = new ArrayList<>();
    for (JsonNode p : json.path("panels")) {
      List<Query> queries = new ArrayList<>();
      for (JsonNode t : p.path("targets")) {
        queries.add(new Query(t.path("refId").asString(""), t.path("expr").asString("")));
      }
      panels.add(
          new Panel(
              p.path("id").asInt(),
              p.path("type").asString(""),
              p.path("title").asString(""),
              p.path("datasource"),
              List.copyOf(queries)));
    }
    return new GrafanaDashboard(json, List.copyOf(panels));
  }

  /** A variable of the dashboard filled by {@code label_values(metric, label)}. */
  record LabelVariable(String name, String metric, String label) {
    /** The PromQL that has one series per value the variable offers. */
    String promql() {
      return "count by (" + label + ") (" + metric + ")";
    }
  }

  private static final Pattern LABEL_VALUES =
      Pattern.compile(
          "label_values\\(\\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*,\\s*([a-zA-Z_][a-zA-Z0-9_]*)\\s*\\)");

  /** The variables of type query that Grafana fills with {@code label_values(metric, label)}. */
  List<LabelVariable> labelVariables() {
    List<LabelVariable> variables = new ArrayList<>();
    for (JsonNode v : json.path("templating").path("list")) {
      if (!"query".equals(v.path("type").asString())) {
        continue;
      }
      JsonNode q = v.path("query");
      String text = q.isString() ? q.asString() : q.path("query").asString("");
      Matcher m = LABEL_VALUES.matcher(text);
      if (!m.matches()) {
        throw new IllegalStateException(
            "variable " + v.path("name") + ": not label_values: " + text);
      }
      variables.add(new LabelVariable(v.path("name").asString(), m.group(1), m.group(2)));
    }
    return variables;
  }

  /** The panels that show data (rows left out). */
  List<Panel> graphs() {
    return panels.stream().filter(p -> !p.isRow()).toList();
  }
}
