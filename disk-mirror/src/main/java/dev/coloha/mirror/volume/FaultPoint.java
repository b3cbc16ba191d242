package dev.coloha.mirror.volume;

import java.util.function.Consumer;

/**
 * Named fault-injection points in the volume's crash-sensitive paths, armed only by tests (the
 * {@code colo.mirror.testing.crash-at} setting halts the process there like {@code kill -9}; unit
 * tests throw {@link SimulatedCrash}). Disarmed ({@link #NONE}) in normal operation.
 */
public interface FaultPoint {
  /** Half of a pending-write journal record has reached the file. */
  String JOURNAL_TORN_APPEND = "journal-torn-append";

  /**
   * A commit has persisted its state (barrier committed, overlay discarded), before its writes
   * joined the committed writes in memory or reached the base image.
   */
  String COMMIT_AFTER_INTENT = "commit-after-intent";

  /**
   * Half of the committed writes being copied into the base image (in the background, after the
   * commit returned) have been written there.
   */
  String COMMIT_MID_APPLY = "commit-mid-apply";

  /** A failover has persisted its intent, before it merged the overlay. */
  String FAILOVER_AFTER_INTENT = "failover-after-intent";

  /** A failover has merged half of the overlay into the base image. */
  String FAILOVER_MID_MERGE = "failover-mid-merge";

  boolean armed(String point);

  /** Called when the code passes {@code point}; acts only if it is armed. */
  void reached(String point);

  FaultPoint NONE =
      new FaultPoint() {
        @Override
        public boolean armed(String point) {
          return false;
        }

        @Override
        public void reached(String point) {}
      };

  /** Halts the JVM at {@code point}, as {@code kill -9} would (for crash tests with processes). */
  static FaultPoint haltAt(String point) {
    return at(
        point,
        p -> {
          System.err.println("fault injection: halting at " + p);
          Runtime.getRuntime().halt(137);
        });
  }

  /** Throws {@link SimulatedCrash} at {@code point} (unit tests reopen the volume afterwards). */
  static FaultPoint throwAt(String point) {
    return at(
        point,
        p -> {
          throw new SimulatedCrash(p);
        });
  }

  /** Armed at {@code point} alone, where it runs {@code fire}. */
  private static FaultPoint at(String point, Consumer<String> fire) {
    return new FaultPoint() {
      @Override
      public boolean armed(String p) {
        return p.equals(point);
      }

      @Override
      public void reached(String p) {
        if (p.equals(point)) {
          fire.accept(p);
        }
      }
    };
  }

  /** The process "died" at a fault point: whatever is on disk now is what a restart finds. */
  final class SimulatedCrash extends RuntimeException {
    public SimulatedCrash(String point) {
      super("simulated crash at " + point);
    }
  }
}
