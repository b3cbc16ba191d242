package dev.coloha.web.openapi;

import java.util.List;
import java.util.Map;

/**
 * What a service adds to its generated OpenAPI description without annotating its controllers.
 * Operations are named {@code "METHOD /path"} as in the description, e.g. {@code "GET /v1/groups"}.
 *
 * @param operationIds every operation's id, a verb first ({@code listGroups}, {@code createGroup});
 *     an operation without one fails the description
 * @param eventPayloads streaming operations (server-sent events, NDJSON) and the record each event
 *     carries as JSON
 * @param enums the values of string properties that are enums on the wire ({@code
 *     "GroupView.state"} to the names of the states)
 * @param tags a description of every tag
 * @param eventTypes for an event payload that is a sealed interface: the values of its records'
 *     {@code type} property, each to its record (the discriminator of the payload's {@code oneOf})
 */
public record ApiOperations(
    Map<String, String> operationIds,
    Map<String, Class<?>> eventPayloads,
    Map<String, List<String>> enums,
    Map<String, String> tags,
    Map<String, Class<?>> eventTypes) {
  public ApiOperations {
    operationIds = Map.copyOf(operationIds);
    eventPayloads = Map.copyOf(eventPayloads);
    enums = Map.copyOf(enums);
    tags = Map.copyOf(tags);
    eventTypes = Map.copyOf(eventTypes);
  }

  /** Without sealed event payloads. */
  public ApiOperations(
      Map<String, String> operationIds,
      Map<String, Class<?>> eventPayloads,
      Map<String, List<String>> enums,
      Map<String, String> tags) {
    this(operationIds, eventPayloads, enums, tags, Map.of());
  }

  /** The names of an enum's constants, for {@link #enums}. */
  public static List<String> names(Class<? extends Enum<?>> type) {
    return java.util.Arrays.stream(type.getEnumConstants()).map(Enum::name).toList();
  }
}
