package dev.coloha.coordinator.decision;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.GroupState;
import dev.coloha.coordinator.model.Replica;
import dev.coloha.coordinator.model.TestGroups;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A property test of the decision machine over random event sequences (a seeded random loop: no
 * property-testing library on the classpath). A model world (which replicas, mirrors, the link
 * between the hosts and the proxy are up) changes at random, and the detectors report it truthfully
 * and late (stream breaks, silent hosts, failed checkpoints, stale acknowledgements of older
 * epochs, mismatches, ticks). A model executor runs the actions the machine decides as the group
 * package's executor would. After every signal: one primary per epoch, epochs only rise, no commit
 * without an acknowledgement of that checkpoint in that epoch, and nothing released unchecked (a
 * secondary dropped) while the secondary is healthy, and a lone primary is never FAILED before
 * lone-primary-patience of silence. Pure: no process, no clock.
 */
class DecisionInvariantsTest {
  static final Duration PATIENCE = Duration.ofSeconds(1);
  static final GroupDecisions.Limits LIMITS =
      new GroupDecisions.Limits(3, PATIENCE, 10, Duration.ofMinutes(2));
  static final long SEED = 0xC010_4A;
  static final int SEQUENCES = 200;
  static final int EVENTS = 150;

  /** The world the detectors watch. */
  static final class World {
    final Set<String> deadAgents = new HashSet<>();
    final Set<String> deadMirrors = new HashSet<>();
    boolean linkCut;
    boolean proxyDown;
    int hosts = 2;

    boolean healthy(Replica r) {
      return r != null && !deadAgents.contains(r.host()) && !deadMirrors.contains(r.host());
    }
  }

  /** Runs one random sequence; fails with the seed and the step on a broken invariant. */
  static final class Run {
    final Random random;
    final World world = new World();
    Situation s;
    Instant now = Instant.parse("2026-01-01T00:00:00Z");
    long sequence = 41;
    final Set<String> acked = new HashSet<>();
    final Map<Long, String> primaryOfEpoch = new HashMap<>();
    final List<Signal> trace = new ArrayList<>();
    long highestEpoch;
    int commits;

    /**
     * Per host, when the model first reported it unanswered as a lone primary (dead stays dead).
     */
    final Map<String, Instant> loneSilentSince = new HashMap<>();

    int loneGiveUps;

    Run(long seed) {
      random = new Random(seed);
      Group g = TestGroups.group("kv", 5, GroupState.PROTECTED);
      g = g.withReplicas(replica("h1"), replica("h2"));
      s = Situation.of(g);
      highestEpoch = g.epoch();
      primaryOfEpoch.put(g.epoch(), "h1");
    }

    static Replica replica(String host) {
      return new Replica(host, "http://" + host, "http://" + host + "/mirror", "kv", "kv");
    }

    Group g() {
      return s.group();
    }

    void run() {
      for (int i = 0; i < EVENTS; i++) {
        now = now.plusMillis(random.nextInt(400));
        Signal next = randomSignal();
        if (next != null) {
          decide(next);
        }
      }
    }

    /** The detectors' report of the world, or noise the machine must ignore. */
    Signal randomSignal() {
      Group g = g();
      Replica p = g.primary();
      Replica sec = g.secondary();
      switch (random.nextInt(14)) {
        case 0 -> { // a fault
          Replica victim = random.nextBoolean() ? p : sec;
          if (victim != null && random.nextInt(3) > 0) {
            (random.nextBoolean() ? world.deadAgents : world.deadMirrors).add(victim.host());
          } else {
            world.linkCut = random.nextBoolean();
          }
          return null;
        }
        case 1 -> {
          world.proxyDown = !world.proxyDown;
          return world.proxyDown
              ? new Signal.ProxyUnserved("event stream broke", now, now)
              : new Signal.ProxyReRegistered(g.proxyUrl(), now);
        }
        case 2 -> {
          Replica dead = world.deadAgents.contains(hostOf(sec)) ? sec : p;
          return dead != null && world.deadAgents.contains(dead.host())
              ? new Signal.StreamBroken(dead.agentUrl(), dead.vm(), "eof")
              : null;
        }
        case 3 -> {
          return new Signal.HostSilent(
              random.nextBoolean() ? Role.PRIMARY : Role.SECONDARY, "no heartbeat");
        }
        case 4 -> {
          return new Signal.Mismatch("content");
        }
        case 5 -> {
          return new Signal.Pressure("pressure");
        }
        case 6 -> { // a stale or a made-up acknowledgement: never committed
          return new Signal.CheckpointAcked(g.epoch() - 1 - random.nextInt(2), sequence + 100);
        }
        case 7 -> {
          return new Signal.SelfCheckpointed(g.epoch(), sequence);
        }
        case 8 -> { // a fault healed (a host replaced: a new one joins)
          world.linkCut = false;
          world.hosts++;
          return null;
        }
        default -> {
          return new Signal.Tick(now);
        }
      }
    }

    static String hostOf(Replica r) {
      return r == null ? "" : r.host();
    }

    /** As the executor: decides, then runs each action, deciding its outcome at once. */
    void decide(Signal signal) {
      trace.add(signal);
      check(trace.size() < 100_000, "a decision loop");
      Decision d = GroupDecisions.decide(s, signal, LIMITS);
      check(d.next().group().epoch() == g().epoch(), "the machine alone never changes the epoch");
      if (signal instanceof Signal.LonePrimaryUnanswered
          && g().state() != GroupState.FAILED
          && d.next().group().state() == GroupState.FAILED) {
        check(
            !now.isBefore(
                loneSilentSince.get(((Signal.LonePrimaryUnanswered) signal).host()).plus(PATIENCE)),
            "a lone primary is never FAILED before lone-primary-patience");
        loneGiveUps++;
      }
      s = d.next();
      for (Action a : d.actions()) {
        Signal out = a instanceof Action.Follow f ? f.signal() : execute(a);
        observe();
        if (out != null) {
          decide(out);
        }
      }
    }

    /** What the group package's executor does, on the model world; the outcome as a signal. */
    Signal execute(Action a) {
      Group g = g();
      switch (a) {
        case Action.Checkpoint c -> {
          Replica p = g.primary();
          Replica sec = g.secondary();
          if (world.deadAgents.contains(p.host())) {
            return failed(Cause.PRIMARY_AGENT, "unreachable");
          } else if (world.deadMirrors.contains(p.host())) {
            return failed(Cause.PRIMARY_DISK, "disk-unavailable");
          } else if (sec == null || !world.healthy(sec) || world.linkCut) {
            return failed(Cause.SECONDARY, random.nextBoolean() ? "timeout" : "unavailable");
          }
          sequence++;
          acked.add(g.epoch() + "/" + sequence);
          return new Signal.CheckpointAcked(g.epoch(), sequence);
        }
        case Action.Commit c -> {
          check(acked.contains(c.epoch() + "/" + c.sequence()), "no commit without an ACK");
          check(c.epoch() == g.epoch(), "no commit of another epoch");
          commits++;
          if (world.proxyDown) {
            return failed(Cause.PROXY_DOWN, "unreachable");
          }
          s = s.withGroup(g.withCheckpoint(c.sequence(), now));
          return new Signal.CheckpointCommitted(c.epoch(), c.sequence());
        }
        case Action.FailOver f -> {
          Replica next = g.secondary();
          if (next == null) {
            s = s.withGroup(g.with(GroupState.FAILED, "no secondary"));
            return null;
          }
          check(!world.healthy(g.primary()), "no failover from a healthy primary");
          Group failing =
              g.state() == GroupState.FAILING_OVER
                  ? g
                  : g.withEpoch(g.epoch() + 1).with(GroupState.FAILING_OVER, f.reason());
          s = s.withGroup(failing);
          observe();
          if (world.deadAgents.contains(next.host())) {
            return new Signal.PromotionFailed(f.reason() + "; the secondary is gone too");
          }
          s =
              s.withGroup(
                  failing
                      .withReplicas(next, null)
                      .with(
                          world.proxyDown ? GroupState.UNSERVED : GroupState.DEGRADED, f.reason()));
          return null;
        }
        case Action.DropSecondary d -> {
          check(
              !(world.healthy(g.secondary()) && !world.linkCut),
              "nothing released unchecked while the secondary is healthy");
          s =
              s.withGroup(
                  g.withEpoch(g.epoch() + 1)
                      .withReplicas(g.primary(), null)
                      .with(
                          world.proxyDown ? GroupState.UNSERVED : GroupState.DEGRADED, d.reason()));
          return null;
        }
        case Action.BothLost b -> {
          long epoch =
              g.state() == GroupState.FAILING_OVER || g.state() == GroupState.RESTARTING
                  ? g.epoch()
                  : g.epoch() + 1;
          s =
              s.withGroup(
                  g.withEpoch(epoch)
                      .withReplicas(g.primary(), null)
                      .with(GroupState.RESTARTING, b.reason()));
          return null;
        }
        case Action.RestartFromVolume r -> {
          Replica p = g.primary();
          if (!world.deadAgents.contains(p.host()) && !world.deadMirrors.contains(p.host())) {
            s =
                s.withGroup(
                    g.with(
                        world.proxyDown ? GroupState.UNSERVED : GroupState.DEGRADED, "restarted"));
          }
          return null;
        }
        case Action.Reprotect r -> {
          String host = "h" + (world.hosts + 1);
          world.hosts++;
          if (world.proxyDown) {
            return null;
          }
          world.linkCut = false;
          s =
              s.withGroup(
                  g.withEpoch(g.epoch() + 1)
                      .withReplicas(g.primary(), replica(host))
                      .with(GroupState.PROTECTED, null));
          return null;
        }
        case Action.RestoreProxy r -> {
          if (world.proxyDown) {
            return null;
          }
          s =
              s.withGroup(
                  g.with(g.secondary() != null ? GroupState.PROTECTED : GroupState.DEGRADED, null));
          return new Signal.ProxyRestored();
        }
        case Action.Probe p -> {
          Replica r = p.role() == Role.PRIMARY ? g.primary() : g.secondary();
          if (p.role() == Role.PRIMARY && g.secondary() == null && g.state() != GroupState.FAILED) {
            // the only copy of the service: waited for, its probes spaced, as the host watch does
            if (r == null
                || !world.deadAgents.contains(r.host())
                || !WaitDecisions.mayProbeLonePrimary(s, now)) {
              return null;
            }
            loneSilentSince.putIfAbsent(r.host(), now);
            return new Signal.LonePrimaryUnanswered(r.host(), p.reason() + "; probe failed", now);
          }
          return r != null && world.deadAgents.contains(r.host())
              ? new Signal.HostLost(r.host(), p.reason() + "; probe failed")
              : null;
        }
        case Action.ProbeMirrors m -> {
          boolean primaryDown = world.deadMirrors.contains(g.primary().host());
          boolean secondaryDown =
              !primaryDown
                  && g.secondary() != null
                  && world.deadMirrors.contains(g.secondary().host());
          return new Signal.MirrorsProbed(primaryDown, secondaryDown, m.message(), m.suspect());
        }
        default -> {
          return null; // persisted, published, counted, scheduled: nothing the model tracks
        }
      }
    }

    /** Fails with the invariant and the signals that led there. */
    void check(boolean holds, String invariant) {
      if (!holds) {
        throw new AssertionError(invariant + " broken after: " + trace);
      }
    }

    Signal failed(Cause cause, String problem) {
      return new Signal.CheckpointFailed(cause, CheckpointProblem.answered(problem), problem, now);
    }

    void observe() {
      Group g = g();
      check(g.epoch() >= highestEpoch, "epochs only rise");
      highestEpoch = g.epoch();
      // a FAILING_OVER group still names the old primary: nobody is primary in its new epoch until
      // the promotion, which names the secondary
      if (g.primary() != null
          && g.state() != GroupState.FAILED
          && g.state() != GroupState.FAILING_OVER) {
        String before = primaryOfEpoch.putIfAbsent(g.epoch(), g.primary().host());
        check(
            before == null || before.equals(g.primary().host()),
            "one primary in epoch " + g.epoch());
      }
    }
  }

  @Test
  void theInvariantsHoldOverRandomEventSequences() {
    Random seeds = new Random(SEED);
    int commits = 0;
    int loneGiveUps = 0;
    Set<GroupState> reached = new HashSet<>();
    for (int i = 0; i < SEQUENCES; i++) {
      Run run = new Run(seeds.nextLong());
      run.run();
      commits += run.commits;
      loneGiveUps += run.loneGiveUps;
      reached.add(run.g().state());
    }
    // the sequences reach the interesting places, or the invariants would hold vacuously
    assertThat(commits).isGreaterThan(SEQUENCES);
    assertThat(loneGiveUps).as("lone primaries given up after the patience").isPositive();
    assertThat(reached).contains(GroupState.PROTECTED, GroupState.DEGRADED, GroupState.RESTARTING);
  }
}
