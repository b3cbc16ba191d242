package dev.coloha.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Keeps a service's committed OpenAPI description ({@code docs/api/<service>.openapi.json}) equal
 * to what its controllers serve. Run a service's test with {@code -Dopenapi.write=true} to rewrite
 * the file after an intended API change.
 */
public final class OpenApiSnapshot {
  private static final JsonMapper JSON =
      JsonMapper.builder()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
          .build();

  private OpenApiSnapshot() {}

  public static void check(int port, String service) throws IOException, InterruptedException {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v3/api-docs"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode live = JSON.readTree(r.body());
    String liveText = JSON.writeValueAsString(JSON.treeToValue(live, Object.class)) + "\n";
    Path file = Path.of("..", "docs", "api", service + ".openapi.json");
    boolean ci = Prerequisites.ci();
    if (Boolean.getBoolean("openapi.write") || (!ci && !Files.exists(file))) {
      Files.writeString(file, liveText);
    }
    assertThat(Files.readString(file))
        .as(
            "docs/api/%s.openapi.json is out of date: rerun with -Dopenapi.write=true and commit it",
            service)
        .isEqualTo(liveText);
  }
}
