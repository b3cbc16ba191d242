package dev.coloha.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A module's META-INF/spring-configuration-metadata.json as the configuration processor wrote it
 * into target/classes: every setting's name and description.
 */
public final class ConfigurationMetadata {
  private ConfigurationMetadata() {}

  /** Setting name to description ("" when it has none), of the settings under {@code prefix}. */
  public static Map<String, String> descriptions(String prefix) throws IOException {
    JsonNode metadata =
        JsonMapper.builder()
            .build()
            .readTree(
                Files.readString(
                    Path.of("target/classes/META-INF/spring-configuration-metadata.json")));
    Map<String, String> out = new TreeMap<>();
    for (JsonNode p : metadata.path("properties")) {
      String name = p.path("name").asString();
      if (name.startsWith(prefix)) {
        out.put(name, p.path("description").asString(""));
      }
    }
    return out;
  }
}
