package dev.coloha.agent.replication;

import dev.coloha.agent.metrics.ReplicationMetrics;
import dev.coloha.agent.metrics.VmMetrics;
import dev.coloha.api.ErrorKind;
import dev.coloha.api.agent.LinkState;
import dev.coloha.api.agent.ReplicaRole;
import dev.coloha.api.agent.ReplicationStatus;
import dev.coloha.api.agent.VmState;
import dev.coloha.microvm.CheckpointMismatchException;
import dev.coloha.microvm.MicroVm;
import dev.coloha.microvm.checkpoint.PrecopyImage;
import dev.coloha.wire.ColoException;
import dev.coloha.wire.CorruptStreamException;
import dev.coloha.wire.checkpoint.Checkpoint;
import dev.coloha.wire.checkpoint.CheckpointHeader;
import dev.coloha.wire.checkpoint.CheckpointLimits;
import dev.coloha.wire.checkpoint.CheckpointReader;
import dev.coloha.wire.frame.FrameInput;
import dev.coloha.wire.frame.FrameOutput;
import dev.coloha.wire.replication.ReplicationCodec;
import dev.coloha.wire.replication.ReplicationFrame;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongUnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The secondary's end of a pair: serves the primary's checkpoint stream. Pre-copied pages and each
 * checkpoint are staged and verified whole before the VM is touched; a torn, short or corrupt
 * checkpoint is discarded whole and the VM keeps its last applied state. After a promotion nothing
 * more is applied.
 */
final class SecondaryLink {
  private static final Logger log = LoggerFactory.getLogger(SecondaryLink.class);

  private final String vmId;
  private final MicroVm vm;
  private final CheckpointLimits limits;
  private final ReplicationMetrics metrics;
  private final VmMetrics vmMetrics;
  private final LongUnaryOperator checkEpoch;
  private final LinkFaults faults;
  private final Object applyLock = new Object();
  private volatile LinkState state = LinkState.WAITING;
  private volatile long epoch;
  private volatile long lastApplied = -1;
  private volatile long syncSequence = -1;
  private volatile long applied;
  private volatile long discarded;
  private volatile String reason;
  private volatile boolean promoted;
  private volatile long streamGeneration;
  private volatile Peer peer;
  private final AtomicLong bytesReceived = new AtomicLong();

  /**
   * @param checkEpoch fences an offered epoch (throws if stale) and returns the current one
   * @param faults fault points armed by tests ({@link LinkFaults#NONE} otherwise)
   */
  SecondaryLink(
      String vmId,
      MicroVm vm,
      long epoch,
      CheckpointLimits limits,
      ReplicationMetrics metrics,
      VmMetrics vmMetrics,
      LongUnaryOperator checkEpoch,
      LinkFaults faults) {
    this.vmId = vmId;
    this.vm = vm;
    this.epoch = epoch;
    this.limits = limits;
    this.metrics = metrics;
    this.vmMetrics = vmMetrics;
    this.checkEpoch = checkEpoch;
    this.faults = faults;
    metrics.secondary(vmId);
  }

  ReplicationStatus status() {
    return new ReplicationStatus(
        vmId,
        ReplicaRole.SECONDARY,
        state,
        epoch,
        peer == null ? null : peer.ref(),
        lastApplied,
        syncSequence,
        applied,
        discarded,
        bytesReceived.get(),
        reason,
        null);
  }

  boolean promoted() {
    return promoted;
  }

  /**
   * Stops applying anything: a checkpoint being received is discarded, the stream is refused from
   * here on. Waits for an apply in progress (applies are atomic) to finish.
   */
  void promote(long newEpoch) {
    synchronized (applyLock) {
      promoted = true;
      epoch = newEpoch;
      streamGeneration++;
    }
  }

  /** Serves one checkpoint stream until it ends. A newer stream supersedes an older one. */
  void serve(long offeredEpoch, InputStream body, OutputStream response) throws IOException {
    long generation;
    synchronized (applyLock) {
      generation = ++streamGeneration;
    }
    ReplicationCodec codec = new ReplicationCodec();
    FrameInput in =
        new FrameInput(
            new BufferedInputStream(new Counted(body, bytesReceived), 1 << 16),
            limits.maxFramePayload());
    FrameOutput out = new FrameOutput(new BufferedOutputStream(response, 1 << 12));
    CheckpointReader reader = new CheckpointReader(limits);
    PrecopyImage image = null;
    long verifyNext = -1;
    boolean midCheckpoint = false;
    Staging staging = new Staging();
    try {
      Object first = codec.read(in, limits.maxRunPages());
      if (!(first instanceof ReplicationFrame.Hello hello)) {
        throw new CorruptStreamException("a checkpoint stream starts with HELLO, not " + first);
      }
      if (promoted) {
        refuse(
            codec,
            out,
            ErrorKind.STALE_EPOCH.slug(),
            "VM " + vmId + " was promoted in epoch " + epoch);
        return;
      }
      epoch = checkEpoch.applyAsLong(Math.max(offeredEpoch, hello.epoch()));
      if (!hello.vm().equals(vmId) || !Arrays.equals(hello.moduleHash(), vm.guest().sha256())) {
        refuse(
            codec,
            out,
            ErrorKind.CHECKPOINT_MISMATCH.slug(),
            "this stream is for VM "
                + hello.vm()
                + " of guest "
                + hello.guest()
                + "; VM "
                + vmId
                + " runs guest "
                + vm.guest().name());
        return;
      }
      codec.write(new ReplicationFrame.Ready(lastApplied), out);
      out.flush();
      while (true) {
        Object f = codec.read(in, limits.maxRunPages());
        if (f == null || f instanceof ReplicationFrame.End) {
          detached("the primary ended the stream");
          return;
        }
        switch (f) {
          case ReplicationFrame.Precopy p -> {
            if (image == null) {
              image = new PrecopyImage(limits.maxMemoryPages());
            }
            image.put(p.memoryPages(), p.firstPage(), p.count(), p.data(), p.offset());
          }
          case ReplicationFrame.Verify v -> verifyNext = v.sequence();
          case ReplicationFrame.Heartbeat h -> {
            codec.write(new ReplicationFrame.Heartbeat(epoch, lastApplied), out);
            out.flush();
          }
          case ReplicationCodec.CheckpointStart start -> {
            long t0 = System.nanoTime();
            in.restartChecksumAtLastHead();
            midCheckpoint = true;
            Checkpoint cp = reader.readAfter(start.head(), in, staging::buffer);
            midCheckpoint = false;
            long received = System.nanoTime() - t0;
            boolean digest = verifyNext == cp.header().sequence();
            if (lastApplied >= 0) { // a checkpoint after the initial sync
              faults.reached(LinkFaults.SECONDARY_APPLY, vmId);
            }
            MicroVm.Applied a = apply(cp, image, digest, generation);
            if (a == null) {
              discarded++;
              metrics.discarded(vmId, promoted ? "promoted" : "superseded");
              refuseQuietly(
                  codec,
                  out,
                  (promoted ? ErrorKind.STALE_EPOCH : ErrorKind.CONFLICT).slug(),
                  promoted
                      ? "VM " + vmId + " was promoted"
                      : "a newer checkpoint stream took over");
              return;
            }
            if (cp.header().baseSequence() == CheckpointHeader.PRECOPY_BASE) {
              image = null;
            }
            try {
              codec.write(
                  new ReplicationFrame.Ack(
                      cp.header().sequence(), received, a.pauseNanos(), a.digest()),
                  out);
              out.flush();
            } finally {
              vm.settle(); // the memory cache's copy and the VM thread's wake-up, after the ACK
              vmMetrics.applied(vmId, a.pauseNanos());
            }
          }
          case ReplicationFrame.Error e -> {
            detached("the primary reported " + e.type() + ": " + e.message());
            return;
          }
          default ->
              throw new CorruptStreamException("unexpected frame on a checkpoint stream: " + f);
        }
      }
    } catch (CorruptStreamException e) {
      discard("corrupt", e.getMessage());
      refuseQuietly(codec, out, e.type(), e.getMessage());
    } catch (EOFException e) {
      discard("torn", "the stream ended inside a frame: " + e.getMessage());
    } catch (CheckpointMismatchException e) {
      discard("out-of-chain", e.getMessage());
      refuseQuietly(codec, out, e.type(), e.getMessage());
    } catch (ColoException e) {
      discard(e.type(), e.getMessage());
      refuseQuietly(codec, out, e.type(), e.getMessage());
    } catch (IOException | RuntimeException e) {
      // a peer that vanished shows up as whatever the container throws (EOF, client abort...)
      if (midCheckpoint) {
        discard("torn", "the stream broke inside a checkpoint: " + e);
      } else {
        detached("the checkpoint stream broke: " + e);
      }
    }
  }

  /** Applies a verified checkpoint unless promoted or superseded; null when it was not applied. */
  private MicroVm.Applied apply(
      Checkpoint cp, PrecopyImage image, boolean digest, long generation) {
    synchronized (applyLock) {
      if (promoted || generation != streamGeneration) {
        return null;
      }
      Checkpoint whole = cp;
      if (cp.header().baseSequence() == CheckpointHeader.PRECOPY_BASE) {
        if (image == null) {
          throw new CorruptStreamException(
              "the final round of a sync came without pre-copied pages");
        }
        whole = image.complete(cp);
      }
      MicroVm.Applied a = vm.applyThenSettle(whole, digest);
      if (whole != cp) {
        syncSequence = cp.header().sequence();
        if (vm.state() == VmState.CREATED || vm.state() == VmState.PAUSED) {
          vm.start();
        }
        log.info("VM {} synced from its primary at checkpoint {}", vmId, cp.header().sequence());
      }
      lastApplied = cp.header().sequence();
      applied++;
      state = LinkState.PROTECTED;
      reason = null;
      return a;
    }
  }

  /**
   * The buffer a stream stages its checkpoints in, reused from one checkpoint to the next (applying
   * copies the pages out), so that a large checkpoint costs no allocation, zeroing or page faults.
   * One per stream: two streams never share it.
   */
  private static final class Staging {
    private byte[] buffer;

    byte[] buffer(int bytes) {
      if (buffer == null || buffer.length < bytes) {
        buffer = new byte[bytes];
      }
      return buffer;
    }
  }

  private void discard(String kind, String why) {
    discarded++;
    metrics.discarded(vmId, kind);
    log.warn("VM {}: discarded a checkpoint whole ({}): {}", vmId, kind, why);
    detached(why);
  }

  private void detached(String why) {
    if (lastApplied >= 0 && !promoted) {
      state = LinkState.DETACHED;
    }
    reason = why;
  }

  /** Counts the bytes read from the stream (progress of a checkpoint in flight). */
  private static final class Counted extends java.io.FilterInputStream {
    private final AtomicLong count;

    Counted(InputStream in, AtomicLong count) {
      super(in);
      this.count = count;
    }

    @Override
    public int read() throws IOException {
      int c = super.read();
      if (c >= 0) {
        count.incrementAndGet();
      }
      return c;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        count.addAndGet(n);
      }
      return n;
    }
  }

  private static void refuse(ReplicationCodec codec, FrameOutput out, String type, String message)
      throws IOException {
    codec.write(new ReplicationFrame.Error(type, message), out);
    out.flush();
  }

  private static void refuseQuietly(
      ReplicationCodec codec, FrameOutput out, String type, String message) {
    try {
      refuse(codec, out, type, message);
    } catch (IOException | RuntimeException e) {
      // the primary is gone anyway
    }
  }
}
