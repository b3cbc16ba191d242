package dev.coloha.microvm.wasi;

import java.util.List;

/**
 * Where a WASI guest waits while unwound: the descriptors whose readiness would let its blocking
 * call go on, and the deadline of a clock subscription. The call itself is re-executed when the
 * guest is rewound, so this is only what the host needs to decide when to rewind.
 *
 * @param interests descriptors the call waits on
 * @param deadlineNanos on the host's monotonic clock, or {@link #NO_DEADLINE}
 */
public record BlockedCall(List<Interest> interests, long deadlineNanos) {
  public static final long NO_DEADLINE = Long.MAX_VALUE;

  /** Waiting for {@code fd} to be readable (or writable). */
  public record Interest(int fd, boolean write) {}

  public BlockedCall {
    interests = List.copyOf(interests);
  }

  public boolean hasDeadline() {
    return deadlineNanos != NO_DEADLINE;
  }
}
