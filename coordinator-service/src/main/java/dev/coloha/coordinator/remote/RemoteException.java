package dev.coloha.coordinator.remote;

import dev.coloha.api.ErrorKind;
import dev.coloha.wire.ColoException;
import java.util.Map;
import java.util.Optional;

/** A service answered a call with an error (problem document). */
public final class RemoteException extends ColoException {
  private final String target;
  private final int status;
  private final String problem;
  private final Map<String, Object> body;

  public RemoteException(
      String target,
      String call,
      int status,
      String problem,
      String detail,
      Map<String, Object> body) {
    super(
        call
            + " on "
            + target
            + " failed: HTTP "
            + status
            + " "
            + problem
            + (detail == null ? "" : ": " + detail));
    this.target = target;
    this.status = status;
    this.problem = problem;
    this.body = body == null ? Map.of() : body;
  }

  public String target() {
    return target;
  }

  public int status() {
    return status;
  }

  /** The problem slug (e.g. {@code stale-epoch}), or "http-STATUS". */
  public String problem() {
    return problem;
  }

  /** The kind of problem the service answered with; empty for a slug no kind has (http-502). */
  public Optional<ErrorKind> problemKind() {
    return ErrorKind.ofSlug(problem);
  }

  /** Whether the service answered with a problem of this kind. */
  public boolean answered(ErrorKind kind) {
    return kind.slug().equals(problem);
  }

  public Map<String, Object> body() {
    return body;
  }

  @Override
  public ErrorKind kind() {
    return ErrorKind.REMOTE_ERROR;
  }
}
