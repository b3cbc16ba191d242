package dev.coloha.wire.block;

import dev.coloha.api.ErrorKind;
import dev.coloha.wire.ColoException;
import dev.coloha.wire.CorruptStreamException;
import dev.coloha.wire.LimitExceededException;
import dev.coloha.wire.StaleEpochException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Typed errors across the wire: a {@link ColoException} becomes a slug, a message and string
 * details (in a FAIL or ERROR frame, or an RFC 9457 problem document), and back into the same
 * exception class on the client, so callers catch {@link StaleEpochException}, not a string.
 */
public final class BlockErrors {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Pattern REQUESTED = Pattern.compile(": (-?[0-9]+) > ");

  private BlockErrors() {}

  /** The details of an error as strings, for a FAIL frame. */
  public static Map<String, String> details(ColoException e) {
    Map<String, String> out = new LinkedHashMap<>();
    e.details().forEach((k, v) -> out.put(k, String.valueOf(v)));
    return out;
  }

  /** The exception a FAIL or ERROR frame (or a problem document) stands for. */
  public static ColoException fromWire(String type, String message, Map<String, String> details) {
    ErrorKind kind = ErrorKind.ofSlug(type).orElse(ErrorKind.REMOTE_ERROR);
    return switch (kind) {
      case STALE_EPOCH ->
          new StaleEpochException(
              number(details, "currentEpoch", -1), number(details, "offeredEpoch", -1));
      case LIMIT_EXCEEDED -> {
        Matcher m = REQUESTED.matcher(message);
        long requested = m.find() ? Long.parseLong(m.group(1)) : -1;
        yield new LimitExceededException(
            details.getOrDefault("limit", "unknown"), requested, number(details, "maximum", -1));
      }
      case SECTOR_RANGE -> new SectorRangeException(message, number(details, "sizeBytes", -1));
      case VOLUME_NOT_FOUND -> new VolumeNotFoundException(details.getOrDefault("volume", message));
      case VOLUME_STATE ->
          new VolumeStateException(
              details.getOrDefault("volume", "?"), details.getOrDefault("state", "?"), message);
      case BARRIER_ORDER ->
          new BarrierOrderException(
              number(details, "barrier", -1), number(details, "last", -1), message);
      case CONFLICT -> new VolumeConflictException(message);
      case TIMEOUT -> new MirrorTimeoutException(message);
      case UNAVAILABLE -> new MirrorUnavailableException(message);
      case CORRUPT_STREAM -> new CorruptStreamException(message);
      default -> new RemoteBlockException(type, message, details);
    };
  }

  /**
   * The exception an RFC 9457 problem document stands for (a stream refused before it started): its
   * type's slug, its detail, and its other top-level members as strings (a body that is not JSON,
   * e.g. a proxy's HTML page, stands for {@code http-<status>}).
   */
  public static ColoException fromProblem(int status, String body) {
    Map<String, String> fields = new LinkedHashMap<>();
    try {
      JsonNode doc = JSON.readTree(body == null ? "" : body);
      if (doc != null && doc.isObject()) {
        for (Map.Entry<String, JsonNode> member : doc.properties()) {
          if (member.getValue().isValueNode() && !member.getValue().isNull()) {
            fields.put(member.getKey(), member.getValue().asString());
          }
        }
      }
    } catch (JacksonException e) {
      // not JSON: the status alone says what happened
    }
    String type = fields.getOrDefault("type", "");
    int slash = type.lastIndexOf('/');
    String slug = slash >= 0 ? type.substring(slash + 1) : type;
    if (slug.isEmpty() || slug.equals("about:blank")) {
      slug = status == 404 ? "not-found" : "http-" + status;
    }
    String detail = fields.getOrDefault("detail", "HTTP " + status);
    return fromWire(slug, detail, fields);
  }

  private static long number(Map<String, String> details, String key, long fallback) {
    try {
      return Long.parseLong(details.getOrDefault(key, ""));
    } catch (NumberFormatException e) {
      return fallback;
    }
  }
}
