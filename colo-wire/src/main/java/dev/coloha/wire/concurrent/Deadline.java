package dev.coloha.wire.concurrent;

/** A task scheduled on a {@link Mailbox} for a time (System.nanoTime), run on its owner thread. */
public final class Deadline {
  private final Mailbox mailbox;
  final long due;
  final long order;
  final Runnable task;

  /** Ran, cancelled or dropped at the stop; guarded by the mailbox's lock. */
  boolean done;

  Deadline(Mailbox mailbox, long due, long order, Runnable task) {
    this.mailbox = mailbox;
    this.due = due;
    this.order = order;
    this.task = task;
  }

  /** Keeps the deadline from running; false if it ran, runs now or was cancelled already. */
  public boolean cancel() {
    return mailbox.cancel(this);
  }

  /** When it is due (System.nanoTime). */
  public long due() {
    return due;
  }
}
