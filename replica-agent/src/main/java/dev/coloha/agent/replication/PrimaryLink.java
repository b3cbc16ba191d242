package dev.coloha.agent.replication;

import dev.coloha.agent.config.AgentProperties;
import dev.coloha.agent.metrics.ReplicationMetrics;
import dev.coloha.microvm.MicroVm;
import dev.coloha.microvm.checkpoint.CaptureKind;
import dev.coloha.microvm.checkpoint.Captured;
import dev.coloha.wire.ColoException;
import dev.coloha.wire.CorruptStreamException;
import dev.coloha.wire.checkpoint.Checkpoint;
import dev.coloha.wire.checkpoint.CheckpointWriter;
import dev.coloha.wire.checkpoint.ConnectionState;
import dev.coloha.wire.frame.FrameInput;
import dev.coloha.wire.frame.FrameOutput;
import dev.coloha.wire.http.HttpStream;
import dev.coloha.wire.replication.ReplicationCodec;
import dev.coloha.wire.replication.ReplicationFrame;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * The primary's end of a pair: one long-lived checkpoint stream to the secondary agent. It runs the
 * live initial sync (pre-copy while the VM runs, then a short final pause), then serves checkpoint
 * requests one at a time: capture (the VM pauses only for the copy), send, wait for the
 * acknowledgement. A request that arrives while one is in flight waits its turn; checkpoints are
 * never interleaved on the stream.
 */
final class PrimaryLink implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PrimaryLink.class);

  private final String vmId;
  private final MicroVm vm;
  private final long epoch;
  private final Peer peer;
  private final AgentProperties.Replication cfg;
  private final int maxRunPages;
  private final ReplicationMetrics metrics;
  private final Map<String, String> headers;
  private final ReentrantLock turn = new ReentrantLock(true);
  private final Object writeLock = new Object();
  private final ReplicationCodec codec = new ReplicationCodec();
  private final Map<Long, CompletableFuture<ReplicationFrame.Ack>> pending =
      new ConcurrentHashMap<>();

  private volatile LinkState state = LinkState.SYNCING;
  private volatile String reason;
  private volatile HttpStream stream;
  private volatile FrameOutput out;
  private volatile long lastAcked = -1;
  private volatile long syncSequence = -1;
  private volatile SyncPoint syncPoint;
  private volatile CheckpointResult lastResult;
  private volatile long checkpoints;

  /** When a checkpoint's send in progress must be given up (System.nanoTime), 0: none. */
  private volatile long sendDeadline;

  private volatile boolean closed;
  private Thread heartbeat;
  private Thread watchdog;

  /** How often the watchdog looks at a send in progress. */
  private static final long WATCHDOG_TICK_MILLIS = 50;

  PrimaryLink(
      String vmId,
      MicroVm vm,
      long epoch,
      Peer peer,
      AgentProperties.Replication cfg,
      int maxRunPages,
      ReplicationMetrics metrics,
      Map<String, String> headers) {
    this.vmId = vmId;
    this.vm = vm;
    this.epoch = epoch;
    this.peer = peer;
    this.cfg = cfg;
    this.maxRunPages = maxRunPages;
    this.metrics = metrics;
    this.headers = headers;
  }

  long epoch() {
    return epoch;
  }

  ReplicationStatus status() {
    return new ReplicationStatus(
        vmId,
        ReplicaRole.PRIMARY,
        state,
        epoch,
        peer,
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
            "POST", streamUri(), headers, cfg.connectTimeout(), cfg.streamReadTimeout());
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
    // platform threads on the checkpoint path: a virtual thread blocked on a socket is woken
    // through the JDK's poller, one more hand-off per acknowledgement
    Thread.ofPlatform().daemon().name("ack-reader-" + vmId).start(() -> readAcks(s, in));
    return ready.lastApplied();
  }

  /**
   * Where to open the checkpoint stream: the peer agent's own stream listener if it has one (a
   * blocking socket per stream, no hop through the HTTP server's poller), else its HTTP server.
   */
  private URI streamUri() throws IOException {
    HttpStream q =
        HttpStream.open(
            "GET", peer.streamEndpointUri(), headers, cfg.connectTimeout(), cfg.connectTimeout());
    try {
      int status = q.status();
      String body = q.responseText(1000);
      if (status == 404) {
        return peer.streamUri(epoch); // no listener there (turned off, or an older agent)
      }
      int port = status == 200 ? portOf(body) : 0;
      if (port <= 0) {
        throw new LinkRefusedException(status, "stream endpoint: " + body);
      }
      return peer.streamUri(epoch, port);
    } finally {
      q.close();
    }
  }

  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** The {@code port} of a {@code GET /v1/replica-stream} answer, 0 if it has none. */
  private static int portOf(String body) {
    try {
      return JSON.readTree(body).path("port").asInt(0);
    } catch (JacksonException e) {
      return 0;
    }
  }

  private void readAcks(HttpStream s, FrameInput in) {
    String why = "secondary closed the checkpoint stream";
    try {
      while (!closed) {
        Object f = codec.read(in, maxRunPages);
        if (f == null || f instanceof ReplicationFrame.End) {
          break;
        }
        switch (f) {
          case ReplicationFrame.Ack a -> {
            CompletableFuture<ReplicationFrame.Ack> waiter = pending.remove(a.sequence());
            if (waiter != null) {
              waiter.complete(a);
            }
          }
          case ReplicationFrame.Heartbeat h -> {
            // the secondary lives
          }
          case ReplicationFrame.Error e -> {
            why = "secondary refused: " + e.type() + ": " + e.message();
            if ("checkpoint-mismatch".equals(e.type()) || "stale-epoch".equals(e.type())) {
              broken(s, LinkState.RESYNC_REQUIRED, why);
              return;
            }
          }
          default -> throw new CorruptStreamException("unexpected frame from the secondary: " + f);
        }
      }
    } catch (IOException | ColoException e) {
      why = "checkpoint stream broke: " + e.getMessage();
    }
    broken(s, LinkState.DEGRADED, why);
  }

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
    pending
        .values()
        .forEach(
            f -> f.completeExceptionally(new ReplicationUnavailableException(vmId, newState, why)));
    pending.clear();
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

  private void heartbeats() {
    long every = cfg.heartbeatInterval().toMillis();
    while (!closed) {
      try {
        Thread.sleep(every);
        if (stream != null && !turn.isLocked()) {
          send(new ReplicationFrame.Heartbeat(epoch, lastAcked));
        }
      } catch (InterruptedException e) {
        return;
      } catch (IOException | RuntimeException e) {
        HttpStream s = stream;
        if (s != null) {
          broken(s, LinkState.DEGRADED, "heartbeat failed: " + e.getMessage());
        }
      }
    }
  }

  /**
   * Gives up a checkpoint send that is still blocked at its deadline (a secondary that stopped
   * reading): breaking the stream makes the blocked write fail. Its own thread, since the heartbeat
   * thread may itself wait for the stream's write lock.
   */
  private void watchdog() {
    while (!closed) {
      try {
        Thread.sleep(WATCHDOG_TICK_MILLIS);
      } catch (InterruptedException e) {
        return;
      }
      long deadline = sendDeadline;
      HttpStream s = stream;
      if (deadline != 0 && System.nanoTime() - deadline >= 0 && s != null) {
        broken(s, LinkState.DEGRADED, "a checkpoint send stalled past checkpoint-timeout");
      }
    }
  }

  // ---- live initial sync ----------------------------------------------------------------------

  /** Runs the live initial sync (in the caller's thread); the link is PROTECTED after it. */
  void sync() {
    long t0 = System.nanoTime();
    turn.lock();
    try {
      state = LinkState.SYNCING;
      connect();
      if (heartbeat == null) {
        heartbeat = Thread.ofVirtual().name("heartbeat-" + vmId).start(this::heartbeats);
        watchdog = Thread.ofVirtual().name("send-watchdog-" + vmId).start(this::watchdog);
      }
      sendDeadline = t0 + cfg.syncTimeout().toNanos(); // a stalled pre-copy is given up too
      int rounds = 0;
      long precopied = precopy(vm.beginPrecopy(), null, 0);
      int[] dirty = vm.precopyRound();
      while (++rounds < cfg.precopyMaxRounds() && dirty.length > cfg.precopyThresholdPages()) {
        precopied += precopy(vm.memoryPagesRacy(), dirty, rounds);
        dirty = vm.precopyRound();
      }
      // the final round: the only pause of the sync, for the pages written since the last round
      long seq = vm.lastCheckpoint() + 1;
      CompletableFuture<ReplicationFrame.Ack> ack = expect(seq);
      Captured last = vm.capture(epoch, seq, CaptureKind.PRECOPY_FINAL, false);
      SyncPoint point = SyncPoint.of(last.checkpoint());
      try {
        send(last.checkpoint(), false);
      } finally {
        last.release();
      }
      await(ack, seq, cfg.syncTimeout().toNanos());
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
    } catch (IOException | RuntimeException e) {
      fail(LinkState.DEGRADED, "initial sync failed: " + e.getMessage());
    } finally {
      sendDeadline = 0;
      turn.unlock();
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

  /** Sends pages (all of them when {@code pages} is null) while the VM runs. */
  private long precopy(int memoryPages, int[] pages, int round) throws IOException {
    int total = pages == null ? memoryPages * Checkpoint.PAGES_PER_WASM_PAGE : pages.length;
    int batch = Math.min(cfg.precopyBatchPages(), maxRunPages);
    byte[] buf = new byte[batch * Checkpoint.PAGE_SIZE];
    long sent = 0;
    int i = 0;
    while (i < total) {
      int first = pages == null ? i : pages[i];
      int n = 0;
      while (i < total && n < batch && (pages == null ? i : pages[i]) == first + n) {
        int page = pages == null ? i : pages[i];
        if (!vm.readPageRacy(page, buf, n * Checkpoint.PAGE_SIZE)) {
          break;
        }
        n++;
        i++;
      }
      if (n == 0) {
        i++; // beyond the memory now: the final round settles the size
        continue;
      }
      send(
          new ReplicationFrame.Precopy(
              round, Math.max(memoryPages, vm.memoryPagesRacy()), first, n, buf, 0));
      sent += n;
    }
    return sent;
  }

  // ---- checkpoints ----------------------------------------------------------------------------

  /**
   * Checkpoint {@code sequence} (or the next number): capture, send, wait for the secondary's
   * acknowledgement. A retry of the last completed sequence returns its result again.
   */
  CheckpointResult checkpoint(Long sequence, boolean verify) {
    long t0 = System.nanoTime();
    turn.lock();
    try {
      CheckpointResult last = lastResult;
      if (sequence != null && last != null && sequence == last.sequence()) {
        return last;
      }
      ensureLinked();
      long seq = sequence == null ? vm.lastCheckpoint() + 1 : sequence;
      CompletableFuture<ReplicationFrame.Ack> ack = expect(seq);
      Captured captured = vm.captureThenSettle(epoch, seq, CaptureKind.DELTA, verify);
      long sentAt = System.nanoTime();
      long timeout = cfg.checkpointTimeout().toNanos();
      // the send runs on this thread (no hand-off); a secondary that stops reading (full socket
      // buffers) cannot hold it past the timeout: the watchdog thread breaks the stream at the
      // deadline and the blocked write fails
      long bytes;
      sendDeadline = sentAt + timeout;
      try {
        bytes = send(captured.checkpoint(), verify);
      } catch (IOException | RuntimeException e) {
        throw failed(
            seq,
            captured,
            System.nanoTime() - sendDeadline >= 0
                ? new CheckpointTimeoutException(vmId, seq, cfg.checkpointTimeout())
                : new ReplicationUnavailableException(
                    vmId, LinkState.DEGRADED, "send failed: " + e.getMessage()));
      } finally {
        sendDeadline = 0;
        captured.release();
        vm.settle(); // the VM thread's wake-up, now that the checkpoint is on the wire
      }
      ReplicationFrame.Ack a;
      try {
        a = await(ack, seq, Math.max(1, sentAt + timeout - System.nanoTime()));
      } catch (RuntimeException e) {
        throw failed(seq, captured, e);
      }
      long done = System.nanoTime();
      lastAcked = seq;
      checkpoints++;
      CheckpointResult r = result(captured, a, bytes, done - sentAt, done - t0, verify);
      lastResult = r;
      metrics.checkpoint(vmId, "ok");
      metrics.transferred(vmId, done - sentAt, done - t0, bytes);
      return r;
    } finally {
      turn.unlock();
    }
  }

  /** A checkpoint that did not reach the secondary: the link breaks, the capture is undone. */
  private RuntimeException failed(long seq, Captured captured, RuntimeException e) {
    pending.remove(seq);
    HttpStream s = stream;
    if (s != null) {
      broken(s, LinkState.DEGRADED, "checkpoint " + seq + " failed: " + e.getMessage());
    }
    vm.rollback(captured);
    metrics.checkpoint(vmId, e instanceof CheckpointTimeoutException ? "timeout" : "unavailable");
    return e;
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

  private CompletableFuture<ReplicationFrame.Ack> expect(long seq) {
    CompletableFuture<ReplicationFrame.Ack> f = new CompletableFuture<>();
    pending.put(seq, f);
    return f;
  }

  private ReplicationFrame.Ack await(
      CompletableFuture<ReplicationFrame.Ack> f, long seq, long timeoutNanos) {
    try {
      return f.get(timeoutNanos, TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new CheckpointTimeoutException(vmId, seq, java.time.Duration.ofNanos(timeoutNanos));
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted waiting for checkpoint " + seq);
    }
  }

  private CheckpointResult result(
      Captured c,
      ReplicationFrame.Ack a,
      long bytes,
      long transferNanos,
      long totalNanos,
      boolean verify) {
    Checkpoint cp = c.checkpoint();
    List<CheckpointResult.ConnectionOffset> output = new ArrayList<>();
    List<CheckpointResult.ConnectionOffset> input = new ArrayList<>();
    for (ConnectionState s : cp.device().connections()) {
      output.add(new CheckpointResult.ConnectionOffset(s.id(), s.outputProduced()));
      input.add(new CheckpointResult.ConnectionOffset(s.id(), s.inputConsumed()));
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
        transferNanos / 1e3,
        a.applyNanos() / 1e3,
        totalNanos / 1e3,
        verify ? hex.formatHex(c.digest()) : null,
        verify ? hex.formatHex(a.digest()) : null);
  }

  @Override
  public void close() {
    closed = true;
    if (heartbeat != null) {
      heartbeat.interrupt();
      watchdog.interrupt();
    }
    HttpStream s = stream;
    if (s != null) {
      try {
        send(new ReplicationFrame.End());
      } catch (IOException | RuntimeException e) {
        // closing anyway
      }
      s.close();
    }
    state = LinkState.UNPAIRED;
  }

  /** The secondary agent refused the stream (HTTP status and problem text). */
  static final class LinkRefusedException extends IOException {
    private final int status;

    LinkRefusedException(int status, String body) {
      super("HTTP " + status + " " + body);
      this.status = status;
    }

    int status() {
      return status;
    }
  }
}
