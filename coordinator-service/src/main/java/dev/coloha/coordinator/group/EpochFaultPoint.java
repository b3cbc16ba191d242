package dev.coloha.coordinator.group;

/**
 * Named fault-injection points of the coordinator, armed only by tests (as the disk mirror's {@code
 * FaultPoint}): {@link #NONE} in normal operation. A test arms {@link #throwAt} a point and the
 * step stops there as if the coordinator died; a coordinator started afterwards on the same store
 * must finish what was persisted.
 */
interface EpochFaultPoint {
  /**
   * A new epoch is persisted (a failover's {@code FAILING_OVER}, a lost secondary, both replicas
   * lost, a re-protection's pairing), before any agent, mirror or proxy was told of it.
   */
  String EPOCH_PERSISTED = "epoch-persisted";

  /** Called when the code passes {@code point}; acts only if it is armed. */
  void reached(String point);

  EpochFaultPoint NONE = point -> {};

  /** Throws {@link SimulatedCrash} at {@code point}. */
  static EpochFaultPoint throwAt(String point) {
    return p -> {
      if (p.equals(point)) {
        throw new SimulatedCrash(p);
      }
    };
  }

  /** The coordinator "died" at a fault point: what is in the store is what a restart finds. */
  final class SimulatedCrash extends RuntimeException {
    SimulatedCrash(String point) {
      super("simulated crash at " + point);
    }
  }
}
