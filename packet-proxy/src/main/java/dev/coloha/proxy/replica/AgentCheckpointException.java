package dev.coloha.proxy.replica;

import dev.coloha.api.ErrorKind;

/**
 * A checkpoint the primary's agent refused, failed or did not answer.
 *
 * @see AgentCheckpoints
 */
public final class AgentCheckpointException extends RuntimeException {
  private final int status;
  private final String problem;

  /**
   * @param status the HTTP status (0: no answer)
   * @param problem the problem's slug (e.g. {@code stale-epoch}, {@code checkpoint-mismatch}), or
   *     {@code unreachable}, {@code timeout}
   */
  public AgentCheckpointException(int status, String problem, String detail) {
    super(problem + (status > 0 ? " (HTTP " + status + ")" : "") + ": " + detail);
    this.status = status;
    this.problem = problem;
  }

  public int status() {
    return status;
  }

  public String problem() {
    return problem;
  }

  /** Whether the agent answered with a problem of this kind. */
  public boolean is(ErrorKind kind) {
    return kind.slug().equals(problem);
  }
}
