package dev.coloha.microvm.testing;

import dev.coloha.microvm.device.HostClock;
import dev.coloha.microvm.device.HostRandom;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A clock and random source that the test sets explicitly, so that two VMs given the same events at
 * the same step see the same time and the same random bytes (for determinism tests only; real
 * replicas each have their own).
 */
public final class StepClock implements HostClock, HostRandom {
  private final AtomicLong nanos = new AtomicLong(1_700_000_000_000_000_000L);

  public void advanceMillis(long ms) {
    nanos.addAndGet(ms * 1_000_000L);
  }

  @Override
  public long realtimeNanos() {
    return nanos.get();
  }

  @Override
  public long monotonicNanos() {
    return nanos.get() - 1_600_000_000_000_000_000L;
  }

  @Override
  public void fill(byte[] dst) {
    SplittableRandom r = new SplittableRandom(nanos.get() ^ dst.length);
    r.nextBytes(dst);
  }
}
