package dev.coloha.wire.concurrent;

/**
 * A task given to a {@link Mailbox} that was stopped: it will not run (or, for a task queued before
 * the stop, did not run).
 */
public final class MailboxStoppedException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  public MailboxStoppedException(String mailbox) {
    super("mailbox " + mailbox + " is stopped");
  }
}
