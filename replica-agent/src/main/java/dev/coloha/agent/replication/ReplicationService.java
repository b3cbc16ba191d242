package dev.coloha.agent.replication;

import dev.coloha.agent.metrics.ReplicationMetrics;
import dev.coloha.agent.metrics.VmMetrics;
import dev.coloha.agent.vm.VmService;
import dev.coloha.api.agent.CheckpointResult;
import dev.coloha.api.agent.LinkState;
import dev.coloha.api.agent.ReplicaRole;
import dev.coloha.api.agent.ReplicationStatus;
import dev.coloha.api.agent.VmState;
import dev.coloha.microvm.MicroVm;
import dev.coloha.microvm.VmStateException;
import dev.coloha.wire.StaleEpochException;
import dev.coloha.wire.checkpoint.CheckpointLimits;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pairs this agent's VMs with VMs on other agents: makes a VM the secondary or the primary of a
 * pair (with a live initial sync), takes checkpoints on request, promotes a secondary. Every
 * command carries the group's epoch; an older epoch is refused with the current one.
 */
public final class ReplicationService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ReplicationService.class);

  private final VmService vms;
  private final ReplicationSettings props;
  private final CheckpointLimits limits;
  private final ReplicationMetrics metrics;
  private final VmMetrics vmMetrics;
  private final Supplier<Map<String, String>> headers;
  private final LinkFaults faults;
  private final Map<String, PrimaryLink> primaries = new ConcurrentHashMap<>();
  private final Map<String, SecondaryLink> secondaries = new ConcurrentHashMap<>();

  /**
   * @param headers headers for calls to other agents (authentication)
   */
  public ReplicationService(
      VmService vms,
      ReplicationSettings props,
      CheckpointLimits limits,
      ReplicationMetrics metrics,
      VmMetrics vmMetrics,
      Supplier<Map<String, String>> headers) {
    this.vms = vms;
    this.props = props;
    this.faults = LinkFaults.of(props.linkFaults());
    this.limits = limits;
    this.metrics = metrics;
    this.vmMetrics = vmMetrics;
    this.headers = headers;
    vms.onDelete(this::forget);
  }

  /** Makes the VM the secondary of a pair: it keeps its input journal and waits for a sync. */
  public ReplicationStatus becomeSecondary(String vm, long epoch) {
    // everything is checked before anything changes: a refused request leaves the VM as it was
    vms.requireEpoch(vm, epoch);
    vms.requireStreamable(vm);
    vms.checkEpoch(vm, epoch);
    MicroVm m = vms.vm(vm);
    synchronized (this) {
      PrimaryLink old = primaries.remove(vm);
      if (old != null) {
        log.info("VM {} steps down from primary to secondary in epoch {}", vm, epoch);
        old.close();
      }
      vms.streams(vm); // its output goes to the proxy's stream
      m.journaling(true);
      SecondaryLink link =
          new SecondaryLink(
              vm,
              m,
              epoch,
              limits,
              metrics,
              vmMetrics,
              offered -> vms.checkEpoch(vm, offered),
              faults);
      secondaries.put(vm, link);
      return link.status();
    }
  }

  /**
   * Makes the VM the primary of a pair with {@code secondary} and starts the live initial sync in
   * the background; {@link #status} shows SYNCING, then PROTECTED.
   */
  public ReplicationStatus becomePrimary(String vm, long epoch, Peer secondary) {
    // everything is checked before anything changes (the epoch is adopted last): a refused
    // request leaves the VM as it was
    vms.requireEpoch(vm, epoch);
    MicroVm m = vms.vm(vm);
    if (m.state() != VmState.RUNNING && m.state() != VmState.PAUSED) {
      throw new VmStateException(vm, m.state(), "become a primary (start it first)");
    }
    vms.requireStreamable(vm);
    synchronized (this) {
      SecondaryLink s = secondaries.get(vm);
      if (s != null && !s.promoted()) {
        throw new NotPrimaryException(vm, ReplicaRole.SECONDARY);
      }
      vms.checkEpoch(vm, epoch);
      secondaries.remove(vm);
      PrimaryLink old = primaries.remove(vm);
      if (old != null) {
        old.close();
      }
      vms.streams(vm);
      m.journaling(false);
      PrimaryLink link =
          new PrimaryLink(
              vm, m, epoch, secondary, props, limits.maxRunPages(), metrics, headers.get(), faults);
      if (old != null) {
        link.continueAfter(old); // barriers its failed attempts marked are not marked again
      }
      primaries.put(vm, link);
      link.startSync();
      log.info(
          "VM {} is primary in epoch {}; syncing secondary {} at {}",
          vm,
          epoch,
          secondary.vm(),
          secondary.agentUrl());
      return link.status();
    }
  }

  /** Checkpoint on request: capture on the primary, stream, wait for the secondary's apply. */
  public CheckpointResult checkpoint(String vm, long epoch, Long sequence, boolean verify) {
    // refused before the VM adopts a newer epoch: a refused checkpoint must not fence its streams
    vms.requireEpoch(vm, epoch);
    PrimaryLink link = primaries.get(vm);
    if (link == null) {
      throw new NotPrimaryException(vm, role(vm));
    }
    if (epoch > link.epoch()) {
      throw new ReplicationUnavailableException(
          vm,
          LinkState.RESYNC_REQUIRED,
          "the pair was formed in epoch " + link.epoch() + "; pair again for epoch " + epoch);
    }
    vms.checkEpoch(vm, epoch);
    return link.checkpoint(sequence, verify);
  }

  /**
   * Promotes the secondary to primary of a new epoch: a checkpoint being received is discarded, the
   * VM keeps running alone. Idempotent for the same epoch.
   */
  public ReplicationStatus promote(String vm, long epoch) {
    long current = vms.epoch(vm);
    synchronized (this) {
      SecondaryLink s = secondaries.get(vm);
      if (s == null) {
        if (epoch == current && !primaries.containsKey(vm)) {
          vms.diskFailover(vm, epoch); // idempotent: completes a promotion whose disk step failed
          return status(vm); // already promoted in this epoch
        }
        throw new NotPrimaryException(vm, role(vm));
      }
      if (epoch <= current) {
        throw new StaleEpochException(current, epoch);
      }
      MicroVm m = vms.vm(vm);
      if (m.lastCheckpoint() < 0) {
        throw new VmStateException(vm, m.state(), "be promoted: it never received an initial sync");
      }
      long t0 = System.nanoTime();
      vms.checkEpoch(vm, epoch);
      s.promote(epoch);
      secondaries.remove(vm);
      long stopped = System.nanoTime();
      m.journaling(false);
      long alone = System.nanoTime();
      // the disk follows: the VM's own writes since the last checkpoint stay, the old primary's
      // later writes go (if the mirror cannot be reached, the error goes to the caller, who
      // retries: the promotion itself is already done and a repeated promote completes the disk)
      vms.diskFailover(vm, epoch);
      long done = System.nanoTime();
      log.info(
          "VM {} promoted to primary in epoch {} (last checkpoint {}; {} ms: stream stopped {} ms,"
              + " journal off {} ms, disk {} ms)",
          vm,
          epoch,
          m.lastCheckpoint(),
          (done - t0) / 1_000_000,
          (stopped - t0) / 1_000_000,
          (alone - stopped) / 1_000_000,
          (done - alone) / 1_000_000);
      return status(vm);
    }
  }

  public ReplicationStatus status(String vm) {
    PrimaryLink p = primaries.get(vm);
    if (p != null) {
      return p.status();
    }
    SecondaryLink s = secondaries.get(vm);
    if (s != null) {
      return s.status();
    }
    MicroVm m = vms.vm(vm);
    return new ReplicationStatus(
        vm,
        ReplicaRole.SOLO,
        LinkState.UNPAIRED,
        vms.epoch(vm),
        null,
        m.lastCheckpoint(),
        -1,
        0,
        0,
        0,
        null,
        null);
  }

  private ReplicaRole role(String vm) {
    return primaries.containsKey(vm)
        ? ReplicaRole.PRIMARY
        : secondaries.containsKey(vm) ? ReplicaRole.SECONDARY : ReplicaRole.SOLO;
  }

  /** Serves a primary's checkpoint stream for a secondary VM (until it ends). */
  public void serveStream(String vm, long epoch, InputStream in, OutputStream out)
      throws IOException {
    openStream(vm, epoch).serve(in, out);
  }

  /**
   * Checks that {@code vm} is a secondary that takes a checkpoint stream in {@code epoch} (throws
   * the error to answer otherwise) and returns what serves the stream, so that a transport can
   * answer the request before the stream starts.
   */
  public StreamServer openStream(String vm, long epoch) {
    vms.checkEpoch(vm, epoch);
    SecondaryLink s = secondaries.get(vm);
    if (s == null) {
      throw new VmStateException(
          vm, vms.vm(vm).state(), "receive checkpoints: it is not a secondary (" + role(vm) + ")");
    }
    return (in, out) -> s.serve(epoch, in, out);
  }

  /** Serves one checkpoint stream until it ends. */
  @FunctionalInterface
  public interface StreamServer {
    void serve(InputStream in, OutputStream out) throws IOException;
  }

  private void forget(String vm) {
    PrimaryLink p = primaries.remove(vm);
    if (p != null) {
      p.close();
    }
    SecondaryLink s = secondaries.remove(vm);
    if (s != null) {
      s.promote(Long.MAX_VALUE); // refuse whatever still arrives
    }
  }

  @Override
  public void close() {
    primaries.values().forEach(PrimaryLink::close);
    primaries.clear();
    secondaries.clear();
  }
}
