package dev.coloha.coordinator.group;

import dev.coloha.api.ErrorKind;
import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.remote.AgentClient;
import dev.coloha.coordinator.remote.ProxyClient;
import dev.coloha.coordinator.remote.RemoteException;
import dev.coloha.coordinator.remote.UnreachableException;

/**
 * Which component a failed checkpoint is the fault of (docs/coordinator.md, the fault matrix): each
 * has its own recovery, and blaming the wrong one costs the service (a proxy that lost its groups
 * is not a lost secondary; a primary whose disk fails is a lost primary, not a lost secondary).
 */
final class FailureAttribution {
  private FailureAttribution() {}

  /** The component at fault. */
  enum Culprit {
    /** The primary's agent did not answer: suspect it (probe), fail over if it is gone. */
    PRIMARY_AGENT,
    /** The primary's disk mirror failed the checkpoint's disk barrier: a lost primary. */
    PRIMARY_DISK,
    /**
     * The primary answered that its secondary (its agent, its disk mirror, or the link to it) did
     * not take the checkpoint: a lost secondary.
     */
    SECONDARY,
    /** The proxy answered that it does not know the group: it needs its groups again. */
    PROXY_WITHOUT_GROUP,
    /** The proxy did not answer (or failed with a 5xx): it does not serve the group for now. */
    PROXY_DOWN,
    /** Anything else (an answer we did not expect): counted, nobody is blamed at once. */
    UNKNOWN
  }

  static Culprit of(RuntimeException e, Group g) {
    String target =
        e instanceof RemoteException r
            ? r.target()
            : e instanceof UnreachableException u ? u.target() : "";
    if (g.proxyUrl() != null && target.equals(ProxyClient.target(g.proxyUrl()))) {
      if (e instanceof RemoteException r && r.answered(ErrorKind.GROUP_NOT_FOUND)) {
        return Culprit.PROXY_WITHOUT_GROUP;
      }
      return e instanceof UnreachableException
              || (e instanceof RemoteException r && r.status() >= 500)
          ? Culprit.PROXY_DOWN
          : Culprit.UNKNOWN;
    }
    if (g.primary() != null && target.equals(AgentClient.target(g.primary().agentUrl()))) {
      if (e instanceof UnreachableException) {
        return Culprit.PRIMARY_AGENT;
      }
      if (e instanceof RemoteException r) {
        return switch (r.problemKind().orElse(ErrorKind.REMOTE_ERROR)) {
          case DISK_UNAVAILABLE -> Culprit.PRIMARY_DISK;
          case TIMEOUT, UNAVAILABLE, RESYNC_REQUIRED -> Culprit.SECONDARY;
          default -> Culprit.UNKNOWN;
        };
      }
    }
    return Culprit.UNKNOWN;
  }
}
