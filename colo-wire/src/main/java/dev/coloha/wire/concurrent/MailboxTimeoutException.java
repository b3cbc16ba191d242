package dev.coloha.wire.concurrent;

import java.time.Duration;

/**
 * A {@link Mailbox#call(java.util.concurrent.Callable, Duration)} that had no result within its
 * timeout. {@link #withdrawn()} says whether the task was taken back before it started (it will
 * never run) or is running (it finishes, its result unseen).
 */
public final class MailboxTimeoutException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final boolean withdrawn;

  public MailboxTimeoutException(String mailbox, Duration timeout, boolean withdrawn) {
    super(
        "mailbox "
            + mailbox
            + ": no result within "
            + timeout
            + (withdrawn ? " (the task was withdrawn before it started)" : " (the task runs on)"));
    this.withdrawn = withdrawn;
  }

  /** True if the task had not started and never will. */
  public boolean withdrawn() {
    return withdrawn;
  }
}
