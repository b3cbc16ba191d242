package dev.coloha.wire.block;

import dev.coloha.api.ErrorKind;
import dev.coloha.wire.ColoException;
import java.util.Map;

/** A typed error from a mirror that this client has no dedicated class for; keeps its slug. */
public final class RemoteBlockException extends ColoException {
  private final String type;
  private final Map<String, String> details;

  public RemoteBlockException(String type, String message, Map<String, String> details) {
    super(message);
    this.type = type;
    this.details = Map.copyOf(details);
  }

  /**
   * The kind its slug names; {@link ErrorKind#REMOTE_ERROR} for a slug this build does not know (it
   * is kept as the {@linkplain #type() type}).
   */
  @Override
  public ErrorKind kind() {
    return ErrorKind.ofSlug(type).orElse(ErrorKind.REMOTE_ERROR);
  }

  @Override
  public String type() {
    return type;
  }

  @Override
  public Map<String, Object> details() {
    return Map.copyOf(details);
  }
}
