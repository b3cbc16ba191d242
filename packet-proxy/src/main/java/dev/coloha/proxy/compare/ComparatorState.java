package dev.coloha.proxy.compare;

/**
 * Where the comparator of a group stands: whether two replicas are compared and whether the group's
 * intervals have a base (a commit, or the primary's first interval). Each change is one method
 * here; one that cannot happen in the current state throws, so a caller that meant a no-op checks
 * first ({@link #compares()}, {@link #awaitsBase()}).
 *
 * <pre>
 *                   primaryStarted  committed       secondaryGone   secondaryAttached
 *   UNBASED         COMPARING       COMPARING       SINGLE          COMPARING
 *   COMPARING       refused         COMPARING       SINGLE_BASED    COMPARING
 *   SINGLE          refused         refused         SINGLE          COMPARING
 *   SINGLE_BASED    refused         refused         SINGLE_BASED    COMPARING
 * </pre>
 */
enum ComparatorState {
  /** Two replicas, compared; no commit yet and the primary's stream has not started. */
  UNBASED,
  /** Two replicas, compared from the interval after the last commit (or the primary's first). */
  COMPARING,
  /** One replica, released uncompared; the intervals never had a base. */
  SINGLE,
  /** One replica, released uncompared, after two were compared (the last commit still counts). */
  SINGLE_BASED;

  /** The state a comparator starts in. */
  static ComparatorState initial(OutputComparator.Mode mode) {
    return mode == OutputComparator.Mode.COLO ? UNBASED : SINGLE;
  }

  OutputComparator.Mode mode() {
    return compares() ? OutputComparator.Mode.COLO : OutputComparator.Mode.SINGLE;
  }

  /** Whether two replicas are compared. */
  boolean compares() {
    return this == UNBASED || this == COMPARING;
  }

  /** Whether the intervals have a base (the last commit is known). */
  boolean based() {
    return this == COMPARING || this == SINGLE_BASED;
  }

  /** Whether the primary's first interval would be the base. */
  boolean awaitsBase() {
    return this == UNBASED;
  }

  /** The primary's stream started before any commit: its interval is the base. */
  ComparatorState primaryStarted() {
    if (this != UNBASED) {
      throw refused("primaryStarted");
    }
    return COMPARING;
  }

  /** A newer checkpoint was committed. */
  ComparatorState committed() {
    if (!compares()) {
      throw refused("committed");
    }
    return COMPARING;
  }

  /** A failover to the secondary, or the secondary dropped: one replica is left. */
  ComparatorState secondaryGone() {
    return based() ? SINGLE_BASED : SINGLE;
  }

  /** A secondary joined, synced by a checkpoint (the base). */
  ComparatorState secondaryAttached() {
    return COMPARING;
  }

  private IllegalStateException refused(String event) {
    return new IllegalStateException("comparator: " + event + " cannot happen in " + this);
  }
}
