package dev.coloha.coordinator.decision;

import dev.coloha.api.ErrorKind;

/**
 * Why a checkpoint failed, read once where the answer came in: the {@link ErrorKind} the service
 * answered with (null for a slug no kind has, e.g. {@code http-502}, for no answer and for a local
 * error), and its label for the history and the metrics (the slug, {@code unreachable} or {@code
 * error}). The decisions look at the kind, never at the label.
 *
 * @param kind the kind of problem the service answered, or null
 * @param label the problem's slug, {@code unreachable} (no answer) or {@code error} (local)
 */
public record CheckpointProblem(ErrorKind kind, String label) {
  /** The service did not answer (refused, timed out, or its circuit breaker is open). */
  public static final CheckpointProblem UNREACHABLE = new CheckpointProblem(null, "unreachable");

  /** Something failed here, not at a service. */
  public static final CheckpointProblem LOCAL_ERROR = new CheckpointProblem(null, "error");

  /** The problem a service answered with the slug {@code slug}. */
  public static CheckpointProblem answered(String slug) {
    return new CheckpointProblem(ErrorKind.ofSlug(slug).orElse(null), slug);
  }

  /** The problem a service answered with {@code kind}. */
  public static CheckpointProblem answered(ErrorKind kind) {
    return new CheckpointProblem(kind, kind.slug());
  }

  /** Whether the service answered with a problem of this kind. */
  public boolean is(ErrorKind k) {
    return kind == k;
  }

  @Override
  public String toString() {
    return label;
  }
}
