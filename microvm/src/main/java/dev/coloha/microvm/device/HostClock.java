package dev.coloha.microvm.device;

import java.time.Instant;

/** The host's clocks as a guest sees them. Each replica has its own: they differ. */
public interface HostClock {
  long realtimeNanos();

  long monotonicNanos();

  HostClock SYSTEM =
      new HostClock() {
        @Override
        public long realtimeNanos() {
          Instant now = Instant.now();
          return now.getEpochSecond() * 1_000_000_000L + now.getNano();
        }

        @Override
        public long monotonicNanos() {
          return System.nanoTime();
        }
      };
}
