package dev.coloha.agent.replication;

import dev.coloha.agent.metrics.ReplicationMetrics;
import dev.coloha.api.Offset;
import dev.coloha.api.agent.CheckpointResult;
import dev.coloha.api.agent.LinkState;
import dev.coloha.api.agent.ReplicaRole;
import dev.coloha.api.agent.ReplicationStatus;
import dev.coloha.api.agent.SyncPoint;
import dev.coloha.microvm.LivePrecopy;
import dev.coloha.microvm.MicroVm;
import dev.coloha.microvm.checkpoint.CaptureKind;
import dev.coloha.microvm.checkpoint.Captured;
import dev.coloha.wire.CorruptStreamException;
import dev.coloha.wire.checkpoint.Checkpoint;
import dev.coloha.wire.checkpoint.CheckpointWriter;
import dev.coloha.wire.checkpoint.ConnectionState;
import dev.coloha.wire.concurrent.Alarm;
import dev.coloha.wire.concurrent.Deadline;
import dev.coloha.wire.concurrent.Mailbox;
import dev.coloha.wire.concurrent.MailboxStoppedException;
import dev.coloha.wire.frame.FrameInput;
import dev.coloha.wire.frame.FrameOutput;
import dev.coloha.wire.http.HttpStream;
import dev.coloha.wire.replication.ReplicationCodec;
import dev.coloha.wire.replication.ReplicationFrame;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The primary's end of a pair: one long-lived checkpoint stream to the secondary agent. It runs the
 * live initial sync (pre-copy while the VM runs, then a short final pause), then serves checkpoint
 * requests one at a time: capture (the VM pauses only for the copy), send, wait for the
 * acknowledgement. A request that arrives while one is in flight waits its turn; checkpoints are
 * never interleaved on the stream.
 *
 * <p>The link is owned by its {@link Mailbox}: the sync, each checkpoint and each heartbeat is a
 * task of it and runs alone, and only a task changes the link's state (the close's last task
 * included; {@link #close} itself only ends the stream, from any thread). A checkpoint request runs
 * on its own thread when the link is idle ({@link Mailbox#callWhenIdle}: no hand-off on its path),
 * else waits its turn; the sync and the heartbeats run on the mailbox's owner thread, a heartbeat
 * as a deadline due once the link has been quiet for {@code heartbeat-interval}.
 *
 * <p>The secondary only ever answers (READY to HELLO, ACK to a checkpoint, HEARTBEAT to a
 * heartbeat, ERROR to what it refuses), so the task that sent a frame reads its answer itself: no
 * reader thread, no hand-off between threads on the way back. An exchange that blocks (a secondary
 * that stopped reading or answering) is bounded by an {@link Alarm}, which closes the stream at its
 * deadline from the timer thread; the task sees its I/O fail and breaks the link itself.
 *
 * <p>Over 400 lines on purpose: the initial sync, the checkpoint exchange and the heartbeat share
 * the one stream and the link's state (last ACK, highest attempted sequence), and which failure
 * breaks the link or is retried once depends on all of it; split, that state would be shared across
 * classes.
 */
final class PrimaryLink implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PrimaryLink.class);

  private final String vmId;
  private final MicroVm vm;
  private final long epoch;
  private final Peer peer;
  private final ReplicationSettings cfg;
  private final int maxRunPages;
  private final ReplicationMetrics metrics;
  private final Map<String, String> headers;
  private final LinkFaults faults;
  private final Mailbox mailbox;

  /** Closes the stream of an exchange still blocked at its deadline (see {@link #abort}). */
  private final Alarm alarm = new Alarm(this::abort);

  /** Frames written by a task and the close's END are never interleaved. */
  private final Object writeLock = new Object();

  private final ReplicationCodec codec = new ReplicationCodec();

  private volatile LinkState state = LinkState.SYNCING;
  private volatile String reason;
  private volatile HttpStream stream;
  private volatile FrameOutput out;
  private volatile FrameInput in;
  private volatile long lastAcked = -1;

  /** When the secondary last answered anything (System.nanoTime). */
  private volatile long lastAnswer = System.nanoTime();

  private volatile long syncSequence = -1;

  /**
   * The highest checkpoint sequence this primary captured, failed attempts included: a failed
   * attempt marked its disk barrier, and a barrier is never marked twice, so the next capture (an
   * initial sync after the secondary was lost, above all) must take a higher number.
   */
  private volatile long highestAttempted = -1;

  private volatile SyncPoint syncPoint;
  private volatile CheckpointResult lastResult;
  private volatile long checkpoints;

  private volatile boolean closed;

  /** The next heartbeat's deadline on the mailbox, null until the first sync connects. */
  private Deadline heartbeat;

  /** Why an exchange given up at its deadline broke the link. */
  private static final String NO_ANSWER = "no answer from the secondary within the timeout";

  PrimaryLink(
      String vmId,
      MicroVm vm,
      long epoch,
      Peer peer,
      ReplicationSettings cfg,
      int maxRunPages,
      ReplicationMetrics metrics,
      Map<String, String> headers,
      LinkFaults faults) {
    this.vmId = vmId;
    this.vm = vm;
    this.epoch = epoch;
    this.peer = peer;
    this.cfg = cfg;
    this.maxRunPages = maxRunPages;
    this.metrics = metrics;
    this.headers = headers;
    this.faults = faults;
    this.mailbox =
        Mailbox.start(
            "primary-link-" + vmId, e -> log.warn("VM {}: primary link task failed", vmId, e));
    metrics.primary(vmId);
  }

  long epoch() {
    return epoch;
  }

  /** A new link of the same VM (a new secondary): its sequences continue above the old one's. */
  void continueAfter(PrimaryLink previous) {
    highestAttempted = Math.max(highestAttempted, previous.highestAttempted);
  }

  ReplicationStatus status() {
    return new ReplicationStatus(
        vmId,
        ReplicaRole.PRIMARY,
        state,
        epoch,
        peer == null ? null : peer.ref(),
        lastAcked,
        syncSequence,
        checkpoints,
        0,
        0,
        reason,
        syncPoint);
  }

  // ---- the stream -----------------------------------------------------------------------------

  /** Opens the stream and says HELLO; returns the secondary's last applied checkpoint. */
  private long connect() throws IOException {
    HttpStream s =
        HttpStream.open(
            "POST",
            StreamEndpoint.locate(peer, epoch, headers, cfg.connectTimeout()),
            headers,
            cfg.connectTimeout(),
            cfg.streamReadTimeout());
    FrameOutput o = new FrameOutput(s.body());
    codec.write(
        new ReplicationFrame.Hello(epoch, peer.vm(), vm.guest().name(), vm.guest().sha256()), o);
    o.flush();
    int status = s.status();
    if (status != 200) {
      String body = s.responseText(4000);
      s.close();
      throw new LinkRefusedException(status, body);
    }
    FrameInput in = new FrameInput(s.response(), 1 << 16);
    Object first = codec.read(in, maxRunPages);
    if (first instanceof ReplicationFrame.Error e) {
      s.close();
      throw new LinkRefusedException(409, e.type() + ": " + e.message());
    }
    if (!(first instanceof ReplicationFrame.Ready ready)) {
      s.close();
      throw new CorruptStreamException("secondary answered HELLO with " + first);
    }
    stream = s;
    out = o;
    this.in = in;
    lastAnswer = System.nanoTime();
    return ready.lastApplied();
  }

  /** Reads the secondary's answer to checkpoint {@code seq} (see {@link #awaitAnswer}). */
  private ReplicationFrame.Ack awaitAck(long seq) throws IOException {
    return awaitAnswer(ReplicationFrame.Ack.class, a -> a.sequence() == seq, "checkpoint " + seq);
  }

  /**
   * Reads frames until the answer to what this thread sent (it holds the turn, so nothing else
   * reads the stream meanwhile). A heartbeat's late echo is passed over; an ERROR, the end of the
   * stream or any other frame fails.
   */
  private <T> T awaitAnswer(Class<T> type, Predicate<T> expected, String what) throws IOException {
    while (true) {
      Object f = codec.read(in, maxRunPages);
      if (type.isInstance(f) && expected.test(type.cast(f))) {
        lastAnswer = System.nanoTime();
        return type.cast(f);
      }
      switch (f) {
        case null -> throw new EOFException("the secondary closed the checkpoint stream");
        case ReplicationFrame.End e ->
            throw new EOFException("the secondary closed the checkpoint stream");
        case ReplicationFrame.Heartbeat h -> {
          // a late echo of a heartbeat: the secondary lives
        }
        case ReplicationFrame.Error e -> throw new SecondaryRefusedException(e);
        default ->
            throw new CorruptStreamException("the secondary answered " + what + " with " + f);
      }
    }
  }

  /** The link breaks: its stream is closed, its state says why. On the turn. */
  private void broken(HttpStream s, LinkState newState, String why) {
    if (s != stream || closed) {
      return; // an older stream
    }
    if (state == LinkState.PROTECTED || state == LinkState.SYNCING) {
      log.warn("VM {}: link to secondary {} at {} lost: {}", vmId, peer.vm(), peer.agentUrl(), why);
    }
    state = newState;
    reason = why;
    stream = null;
    s.close();
  }

  private void send(ReplicationFrame f) throws IOException {
    synchronized (writeLock) {
      codec.write(f, out);
      out.flush();
    }
  }

  private long send(Checkpoint cp, boolean verify) throws IOException {
    synchronized (writeLock) {
      if (verify) {
        codec.write(new ReplicationFrame.Verify(cp.header().sequence()), out);
      }
      long bytes = new CheckpointWriter(maxRunPages).write(cp, out);
      out.flush();
      return bytes;
    }
  }

  /**
   * The heartbeat's deadline, on the mailbox: a round trip once the link has been quiet (no answer)
   * for {@code heartbeat-interval}, else the deadline moves to that time. An answer to a checkpoint
   * proves the secondary alive as well, so a busy link carries no heartbeats (and no checkpoint
   * waits behind one). Also how a secondary that vanished while idle is noticed.
   */
  private void heartbeatDue() {
    if (closed) {
      return;
    }
    long every = cfg.heartbeatInterval().toNanos();
    long quiet = System.nanoTime() - lastAnswer;
    long next;
    if (quiet < every) {
      next = lastAnswer + every;
    } else {
      heartbeat();
      next = System.nanoTime() + every;
    }
    heartbeat = mailbox.scheduleAt(next, this::heartbeatDue);
  }

  /** One heartbeat round trip on an idle link (on the turn). */
  private void heartbeat() {
    HttpStream s = stream;
    if (s == null || state != LinkState.PROTECTED) {
      return;
    }
    alarm.arm(cfg.checkpointTimeout());
    try {
      send(new ReplicationFrame.Heartbeat(epoch, lastAcked));
      awaitAnswer(ReplicationFrame.Heartbeat.class, h -> true, "a heartbeat");
    } catch (SecondaryRefusedException e) {
      broken(s, e.linkState(), "secondary refused: " + e.getMessage());
    } catch (IOException | RuntimeException e) {
      broken(
          s, LinkState.DEGRADED, alarm.fired() ? NO_ANSWER : "heartbeat failed: " + e.getMessage());
    } finally {
      alarm.disarm();
    }
  }

  /**
   * The alarm of an exchange still blocked at its deadline (a secondary that stopped reading, or
   * that does not answer): closing the stream makes the blocked write or read fail, and the task
   * blocked in it breaks the link. On the alarm's timer thread, since the task is the one blocked.
   */
  private void abort() {
    HttpStream s = stream;
    if (s != null) {
      s.close();
    }
  }

  // ---- live initial sync ----------------------------------------------------------------------

  /**
   * Starts the live initial sync on the link's mailbox (its owner thread); {@link #status} shows
   * SYNCING, then PROTECTED (or why not).
   */
  void startSync() {
    mailbox.execute(this::sync);
  }

  /** Runs the live initial sync (on the turn); the link is PROTECTED after it. */
  private void sync() {
    long t0 = System.nanoTime();
    try {
      state = LinkState.SYNCING;
      connect();
      if (heartbeat == null) {
        heartbeat =
            mailbox.scheduleAt(lastAnswer + cfg.heartbeatInterval().toNanos(), this::heartbeatDue);
      }
      alarm.armAt(t0 + cfg.syncTimeout().toNanos()); // a stalled pre-copy is given up too
      LivePrecopy.Result live =
          LivePrecopy.run(
              vm,
              new PrecopySender(vm, Math.min(cfg.precopyBatchPages(), maxRunPages), this::send),
              cfg.precopyMaxRounds(),
              cfg.precopyThresholdPages());
      int rounds = live.rounds();
      long precopied = live.pagesSent();
      // the final round: the only pause of the sync, for the pages written since the last round
      long seq = Math.max(vm.lastCheckpoint(), highestAttempted) + 1;
      highestAttempted = seq;
      Captured last = vm.capture(epoch, seq, CaptureKind.PRECOPY_FINAL, false);
      SyncPoint point = SyncPoints.of(last.checkpoint());
      try {
        send(last.checkpoint(), false);
      } finally {
        last.release();
      }
      awaitAck(seq);
      lastAcked = seq;
      syncSequence = seq;
      syncPoint = point;
      reason = null;
      state = LinkState.PROTECTED;
      metrics.synced(vmId, System.nanoTime() - t0, rounds + 1, precopied);
      log.info(
          "VM {} synced to {} at {} in {} ms ({} pre-copy rounds, {} pages, final pause {} us)",
          vmId,
          peer.vm(),
          peer.agentUrl(),
          (System.nanoTime() - t0) / 1_000_000,
          rounds,
          precopied,
          last.pauseNanos() / 1000);
    } catch (LinkRefusedException e) {
      fail(
          e.status() == 404 ? LinkState.RESYNC_REQUIRED : LinkState.DEGRADED,
          "initial sync refused: " + e.getMessage());
    } catch (SecondaryRefusedException e) {
      fail(e.linkState(), "initial sync refused: " + e.getMessage());
    } catch (IOException | RuntimeException e) {
      fail(LinkState.DEGRADED, "initial sync failed: " + e.getMessage());
    } finally {
      alarm.disarm();
    }
  }

  private void fail(LinkState newState, String why) {
    log.warn("VM {}: {}", vmId, why);
    HttpStream s = stream;
    if (s != null) {
      broken(s, newState, why);
    } else {
      state = newState;
      reason = why;
    }
  }

  // ---- checkpoints ----------------------------------------------------------------------------

  /**
   * Checkpoint {@code sequence} (or the next number): capture, send, wait for the secondary's
   * acknowledgement. A retry of the last completed sequence returns its result again.
   */
  CheckpointResult checkpoint(Long sequence, boolean verify) {
    long t0 = System.nanoTime();
    try {
      // on this thread if the link is idle (no hand-off on the checkpoint's path), else in turn
      return mailbox.callWhenIdle(() -> checkpointOnTurn(sequence, verify, t0));
    } catch (MailboxStoppedException e) {
      // closed while it waited its turn: what the closed link answers
      throw new ReplicationUnavailableException(
          vmId, LinkState.UNPAIRED, reason == null ? "not synced" : reason);
    }
  }

  private CheckpointResult checkpointOnTurn(Long sequence, boolean verify, long t0) {
    CheckpointResult last = lastResult;
    if (sequence != null && last != null && sequence == last.sequence()) {
      return last;
    }
    if (sequence != null && sequence <= highestAttempted) {
      // an attempt of this number failed after it marked its disk barrier (a retry of a failed
      // call): a barrier is never marked twice, so the caller must take a higher number
      throw new dev.coloha.microvm.CheckpointMismatchException(
          "checkpoint "
              + sequence
              + " was attempted already; take a number above "
              + highestAttempted);
    }
    boolean open = state == LinkState.PROTECTED && stream != null;
    ensureLinked();
    try {
      return exchange(sequence, verify, t0);
    } catch (StreamBrokeException e) {
      // nobody reads the stream between checkpoints, so a stream that died meanwhile (the
      // secondary closed it, a reset) is found here: reconnect once and go again, unless the
      // secondary turns out to hold this checkpoint (its acknowledgement was lost). The first
      // attempt is counted only if there is no second.
      long acked = lastAcked;
      if (!open) {
        throw counted(e.failure());
      }
      try {
        ensureLinked();
      } catch (RuntimeException r) {
        counted(e.failure());
        throw r;
      }
      if (lastAcked != acked) {
        throw counted(e.failure());
      }
      log.info("VM {}: checkpoint stream found broken ({}); reconnected", vmId, e.getMessage());
      try {
        return exchange(sequence, verify, t0);
      } catch (StreamBrokeException again) {
        throw counted(again.failure());
      }
    }
  }

  /** Capture, send, wait for the ACK; on the turn, the link made sure of. */
  private CheckpointResult exchange(Long sequence, boolean verify, long t0) {
    long seq = sequence == null ? Math.max(vm.lastCheckpoint(), highestAttempted) + 1 : sequence;
    highestAttempted = Math.max(highestAttempted, seq);
    Captured captured;
    try {
      captured = vm.captureThenSettle(epoch, seq, CaptureKind.DELTA, verify);
    } catch (RuntimeException e) {
      // the disk barrier at the pause did not reach this host's mirror: the primary's own disk is
      // the problem (not the secondary), and the coordinator must know it (a lost primary)
      dev.coloha.agent.disk.MirrorIOException disk = DiskUnavailableException.mirrorFailure(e);
      if (disk != null) {
        throw counted(new DiskUnavailableException(vmId, seq, disk));
      }
      throw e;
    }
    long sentAt = System.nanoTime();
    // the send and the wait for the ACK run on this thread (no hand-off either way); a secondary
    // that stops reading (full socket buffers) or answering cannot hold it past the timeout: the
    // alarm closes the stream at the deadline and the blocked write or read fails
    long deadline = sentAt + cfg.checkpointTimeout().toNanos();
    alarm.armAt(deadline);
    long bytes;
    long sendNanos;
    ReplicationFrame.Ack a;
    long acked;
    try {
      try {
        faults.reached(LinkFaults.BEFORE_SEND, vmId);
        bytes = send(captured.checkpoint(), verify);
        sendNanos = System.nanoTime() - sentAt;
      } finally {
        captured.release();
      }
      a = awaitAck(seq);
      faults.reached(LinkFaults.BEFORE_ACK, vmId);
      // acknowledged: the VM thread's wake-up below is after the checkpoint, not part of it (on a
      // busy host it runs before this thread gets the CPU back)
      acked = System.nanoTime();
    } catch (SecondaryRefusedException e) {
      throw counted(
          failed(
              seq,
              captured,
              e.linkState(),
              new ReplicationUnavailableException(
                  vmId, e.linkState(), "secondary refused: " + e.getMessage())));
    } catch (IOException | RuntimeException e) {
      boolean late = System.nanoTime() - deadline >= 0 || e instanceof SocketTimeoutException;
      RuntimeException failure =
          failed(
              seq,
              captured,
              LinkState.DEGRADED,
              late
                  ? new CheckpointTimeoutException(vmId, seq, cfg.checkpointTimeout())
                  : new ReplicationUnavailableException(
                      vmId, LinkState.DEGRADED, "checkpoint stream broke: " + e.getMessage()));
      if (!late && e instanceof IOException io) {
        throw new StreamBrokeException(io, failure); // counted by the caller, unless retried
      }
      throw counted(failure);
    } finally {
      alarm.disarm();
      // the VM thread's wake-up (it delivers the INTERVAL marker; its own timers and input wake
      // it anyway): after the exchange, so that it and the output writer it wakes do not take a
      // CPU from the secondary's side of the exchange
      vm.settle();
    }
    lastAcked = seq;
    checkpoints++;
    CheckpointResult r = result(captured, a, bytes, sendNanos, acked - sentAt, acked - t0, verify);
    lastResult = r;
    metrics.checkpoint(vmId, "ok");
    metrics.transferred(vmId, acked - sentAt, acked - t0, bytes);
    return r;
  }

  /**
   * A checkpoint that did not reach the secondary: the link breaks, the capture is undone (the
   * caller counts it in {@code colo.checkpoints}).
   */
  private RuntimeException failed(
      long seq, Captured captured, LinkState newState, RuntimeException e) {
    HttpStream s = stream;
    if (s != null) {
      broken(
          s,
          newState,
          alarm.fired() ? NO_ANSWER : "checkpoint " + seq + " failed: " + e.getMessage());
    }
    vm.rollback(captured);
    return e;
  }

  /** A checkpoint's failure, counted in {@code colo.checkpoints} by its kind. */
  private RuntimeException counted(RuntimeException failure) {
    metrics.checkpoint(
        vmId, failure instanceof CheckpointTimeoutException ? "timeout" : "unavailable");
    return failure;
  }

  /** Makes sure the stream is up: a DEGRADED link is reconnected once, if the chain allows. */
  private void ensureLinked() {
    if (state == LinkState.PROTECTED && stream != null) {
      return;
    }
    if (state != LinkState.DEGRADED) {
      throw new ReplicationUnavailableException(
          vmId, state, reason == null ? "not synced" : reason);
    }
    try {
      long applied = connect();
      if (applied < lastAcked) {
        fail(
            LinkState.RESYNC_REQUIRED,
            "the secondary holds checkpoint " + applied + ", not " + lastAcked + ": sync again");
        throw new ReplicationUnavailableException(vmId, state, reason);
      }
      if (applied > lastAcked) {
        vm.adoptBase(applied); // it applied a checkpoint whose acknowledgement we lost
        lastAcked = applied;
      }
      state = LinkState.PROTECTED;
      reason = null;
      log.info("VM {}: link to secondary restored at checkpoint {}", vmId, applied);
    } catch (LinkRefusedException e) {
      fail(
          e.status() == 404 ? LinkState.RESYNC_REQUIRED : LinkState.DEGRADED,
          "reconnect refused: " + e.getMessage());
      throw new ReplicationUnavailableException(vmId, state, reason);
    } catch (IOException e) {
      fail(LinkState.DEGRADED, "reconnect failed: " + e.getMessage());
      throw new ReplicationUnavailableException(vmId, state, reason);
    }
  }

  private CheckpointResult result(
      Captured c,
      ReplicationFrame.Ack a,
      long bytes,
      long sendNanos,
      long transferNanos,
      long totalNanos,
      boolean verify) {
    Checkpoint cp = c.checkpoint();
    List<Offset> output = new ArrayList<>();
    List<Offset> input = new ArrayList<>();
    for (ConnectionState s : cp.device().connections()) {
      output.add(new Offset(s.id(), s.outputProduced()));
      input.add(new Offset(s.id(), s.inputConsumed()));
    }
    HexFormat hex = HexFormat.of();
    return new CheckpointResult(
        vmId,
        epoch,
        cp.header().sequence(),
        output,
        input,
        cp.device().closedConnections(),
        cp.pageCount(),
        bytes,
        c.pauseNanos() / 1e3,
        c.copyNanos() / 1e3,
        sendNanos / 1e3,
        a.receiveNanos() / 1e3,
        transferNanos / 1e3,
        a.applyNanos() / 1e3,
        totalNanos / 1e3,
        verify ? hex.formatHex(c.digest()) : null,
        verify ? hex.formatHex(a.digest()) : null);
  }

  /**
   * Ends the link without waiting for its turn: the stream is ended and closed at once (an exchange
   * in progress, a sync above all, fails and stops), checkpoints waiting their turn are refused,
   * the heartbeat's deadline is dropped, and the mailbox's last task marks the link UNPAIRED once
   * the task in progress has returned.
   */
  @Override
  public void close() {
    closed = true;
    HttpStream s = stream;
    if (s != null) {
      try {
        send(new ReplicationFrame.End());
      } catch (IOException | RuntimeException e) {
        // closing anyway
      }
      s.close();
    }
    mailbox.stop(() -> state = LinkState.UNPAIRED);
  }
}
