package dev.coloha.coordinator.group;

import dev.coloha.api.agent.ReplicationStatus;
import dev.coloha.coordinator.decision.Role;
import dev.coloha.coordinator.decision.Signal;
import dev.coloha.coordinator.decision.WaitDecisions;
import dev.coloha.coordinator.hosts.HostRegistry;
import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.GroupState;
import dev.coloha.coordinator.model.Replica;
import dev.coloha.coordinator.remote.AgentClient;
import dev.coloha.coordinator.remote.MirrorClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * Watches one group's hosts for its executor: missed heartbeats of the replicas' agents and disk
 * mirrors become {@link Signal.HostSilent} (the machine then asks for a probe), and the probes it
 * runs report {@link Signal.ProbeFailed} or {@link Signal.HostLost}. A primary without a secondary
 * that stops answering is reported as {@link Signal.LonePrimaryUnanswered} (the machine waits for
 * it) and, once it answers again, {@link Signal.LonePrimaryAnswers}.
 */
final class HostWatch {
  private final GroupExecutor exec;
  private final HostRegistry hosts;
  private final AgentClient agents;
  private final MirrorClient mirrors;
  private final CoordinatorSettings props;
  private final Clock clock;
  private final Map<String, Instant> probedOk = new HashMap<>();

  HostWatch(
      GroupExecutor exec,
      HostRegistry hosts,
      AgentClient agents,
      MirrorClient mirrors,
      CoordinatorSettings props,
      Clock clock) {
    this.exec = exec;
    this.hosts = hosts;
    this.agents = agents;
    this.mirrors = mirrors;
    this.props = props;
    this.clock = clock;
  }

  /** One look at the heartbeats of the group's hosts. */
  void watch() {
    Group g = exec.group();
    if (g.state() == GroupState.RESTARTING) {
      return; // no VM to watch: the restart checks the host itself
    }
    Duration limit = g.policy().suspectAfter();
    if (g.primary() != null
        && (hosts.lost(g.primary().host())
            || hosts.silence(g.primary().host()).compareTo(limit) > 0)) {
      exec.signal(
          new Signal.HostSilent(
              Role.PRIMARY,
              "no heartbeat for " + hosts.silence(g.primary().host()).toMillis() + " ms"));
    } else if (WaitDecisions.lonePrimarySilent(exec.situation())) {
      if (vmGone(g.primary())) {
        exec.signal(new Signal.ProbeFailed(Role.PRIMARY, primaryWithoutVm(g.primary())));
        return;
      }
      exec.signal(new Signal.LonePrimaryAnswers("its heartbeats are back", clock.instant()));
    }
    g = exec.group();
    if (g.secondary() != null
        && (hosts.lost(g.secondary().host())
            || hosts.silence(g.secondary().host()).compareTo(limit) > 0)) {
      exec.signal(
          new Signal.HostSilent(
              Role.SECONDARY,
              "no heartbeat for " + hosts.silence(g.secondary().host()).toMillis() + " ms"));
    }
    watchMirror(true, limit);
    watchMirror(false, limit);
  }

  /**
   * A replica's disk mirror that stopped beating is probed; one that does not answer makes its
   * replica lost: a primary whose disk is gone cannot go on (fail over while a secondary exists), a
   * secondary whose disk is gone cannot take over.
   */
  private void watchMirror(boolean primary, Duration limit) {
    Group g = exec.group();
    Replica r = primary ? g.primary() : g.secondary();
    if (r == null
        || r.mirrorUrl() == null
        || g.secondary() == null
        || hosts.mirrorSilence(r.host()).compareTo(limit) <= 0) {
      return;
    }
    Instant now = clock.instant();
    String key = "mirror:" + r.host();
    if (now.isBefore(probedOk.getOrDefault(key, Instant.EPOCH))) {
      return;
    }
    if (mirrors.ready(r.mirrorUrl(), props.probeTimeout())) {
      probedOk.put(key, now.plus(limit));
      return;
    }
    exec.signal(
        new Signal.ProbeFailed(
            primary ? Role.PRIMARY : Role.SECONDARY,
            (primary ? "the primary's" : "the secondary's")
                + " disk mirror on "
                + r.host()
                + " stopped beating and does not answer a probe"));
  }

  /** A replica looks gone: probe it, and report it lost if the probe fails too. */
  void probe(Role role, String reason) {
    Group g = exec.group();
    Replica r = role == Role.PRIMARY ? g.primary() : g.secondary();
    if (r == null) {
      return;
    }
    boolean lost = hosts.lost(r.host());
    Instant now = clock.instant();
    if (!lost && now.isBefore(probedOk.getOrDefault(r.host(), Instant.EPOCH))) {
      return; // probed fine a moment ago: heartbeats are just late
    }
    boolean lonePrimaryOf = role == Role.PRIMARY && g.secondary() == null;
    if (!lost && lonePrimaryOf && !WaitDecisions.mayProbeLonePrimary(exec.situation(), now)) {
      return; // a lone primary that failed a probe a moment ago: the next probe waits
    }
    if (!lost && agents.alive(r.agentUrl(), props.probeTimeout())) {
      if (vmGone(r)) {
        // a restarted agent answers, but its VM died with its predecessor: the replica is lost
        exec.signal(
            new Signal.ProbeFailed(
                role,
                role == Role.PRIMARY
                    ? primaryWithoutVm(r)
                    : "secondary on "
                        + r.host()
                        + " lost: its agent answers without VM "
                        + r.vm()));
        return;
      }
      probedOk.put(r.host(), now.plus(g.policy().suspectAfter()));
      if (lonePrimaryOf && WaitDecisions.lonePrimarySilent(exec.situation())) {
        exec.signal(new Signal.LonePrimaryAnswers("it answers a probe", clock.instant()));
      }
      return;
    }
    if (!lost && lonePrimaryOf && g.state() != GroupState.FAILED) {
      // the only copy of the service: the machine waits for it, up to lone-primary-patience
      exec.signal(new Signal.LonePrimaryUnanswered(r.host(), reason + "; probe failed", now));
      return;
    }
    exec.signal(
        new Signal.HostLost(r.host(), lost ? "host declared lost" : reason + "; probe failed"));
  }

  /** After a checkpoint failed on the primary's disk: its mirror, then the secondary's. */
  void probeMirrors(String message, Signal.Suspect suspect) {
    Group g = exec.group();
    Replica p = g.primary();
    Replica s = g.secondary();
    boolean primaryDown =
        p.mirrorUrl() != null && !mirrors.ready(p.mirrorUrl(), props.probeTimeout());
    boolean secondaryDown =
        !primaryDown
            && s != null
            && s.mirrorUrl() != null
            && !mirrors.ready(s.mirrorUrl(), props.probeTimeout());
    exec.signal(new Signal.MirrorsProbed(primaryDown, secondaryDown, message, suspect));
  }

  /**
   * Whether to give up waiting for the primary's checkpoint answer (asked on the worker's thread
   * while it waits): its host was declared lost, or stopped beating and fails a probe.
   */
  BooleanSupplier primaryGone(Replica p) {
    Duration limit = exec.group().policy().suspectAfter();
    Instant[] nextProbe = {Instant.EPOCH};
    return () -> {
      if (hosts.lost(p.host())) {
        return true;
      }
      Instant now = clock.instant();
      if (hosts.silence(p.host()).compareTo(limit) <= 0 || now.isBefore(nextProbe[0])) {
        return false;
      }
      nextProbe[0] = now.plus(limit);
      return !agents.alive(p.agentUrl(), props.probeTimeout());
    };
  }

  /** Whether the replica's agent answers and still has the replica's VM. */
  boolean answersWithVm(Replica r) {
    return agents.alive(r.agentUrl(), props.probeTimeout()) && !vmGone(r);
  }

  /** A PROTECTED group after a coordinator restart: the primary's last checkpoint counts. */
  Group reconcileProtected(Group g) {
    ReplicationStatus r = agents.replication(g.primary().agentUrl(), g.primary().vm());
    return r.lastCheckpoint() > g.lastCheckpoint()
        ? g.withCheckpoint(r.lastCheckpoint(), clock.instant())
        : g;
  }

  /** Whether the replica's agent answers that it no longer has the replica's VM. */
  private boolean vmGone(Replica r) {
    return !agents.hasVm(r.agentUrl(), r.vm(), props.probeTimeout());
  }

  private static String primaryWithoutVm(Replica r) {
    return "primary on "
        + r.host()
        + " lost: its agent answers, but no longer has VM "
        + r.vm()
        + " (it was restarted)";
  }
}
