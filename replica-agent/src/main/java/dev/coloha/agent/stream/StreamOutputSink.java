package dev.coloha.agent.stream;

import dev.coloha.microvm.GuestTrapException;
import dev.coloha.microvm.MicroVm;
import dev.coloha.microvm.OutputSink;
import dev.coloha.wire.frame.FrameOutput;
import dev.coloha.wire.io.IoFrame;
import dev.coloha.wire.io.IoFrameCodec;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * A VM's output as a stream of tagged frames for one subscriber (the proxy). Frames queue until
 * written; above a high watermark of queued (unwritten) bytes the VM's input gate closes (the guest
 * stops producing) and reopens below the low watermark. A new subscriber replaces the previous one;
 * an idle stream carries heartbeats.
 *
 * <p>A frame written is not a frame delivered: it may sit in the buffers of a subscriber that died
 * (a killed proxy's socket) and never arrive. So the frames written last, up to {@code
 * retentionBytes} ({@code colo.agent.stream.output-retention}), are kept, and every new subscriber
 * (the proxy's warm standby taking over, a proxy's stream reopened) is sent them first, oldest
 * first, before what was never written. The proxy takes each connection's output from the offsets
 * it has (an output frame carries its connection's offset, a closed frame its end offset; frames of
 * an older epoch than the replica's are fenced off), so a frame it had already is dropped there,
 * not released twice. Beyond the bound the oldest are dropped: a connection missing bytes is reset
 * by the proxy (its offsets jump), never given wrong ones.
 */
public final class StreamOutputSink implements OutputSink {
  private final MicroVm vm;
  private final LongSupplier epoch;
  private final InputFlow flow;
  private final long highWatermark;
  private final long lowWatermark;
  private final Duration heartbeat;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final long retentionBytes;

  /**
   * The frames, oldest first: those written already (kept up to {@link #retentionBytes}), then
   * those no subscriber has written yet. Frame number {@code base + i} is at {@code log[head + i]}.
   */
  private final ArrayList<IoFrame> log = new ArrayList<>();

  private int head;
  private long base;

  /** The number of the first frame no subscriber has written yet. */
  private long unwritten;

  /** Output bytes of the frames not written yet. */
  private long queuedBytes;

  /** The size (as counted by {@link #size}) of the written frames kept. */
  private long retainedBytes;

  /** An INTERVAL frame was queued without waking the writer (see {@link #interval}). */
  private volatile boolean wakeOwed;

  private boolean gated;
  private long interval;
  private long subscription;

  /**
   * @param retentionBytes written frames kept for a new subscriber, counted as their output bytes
   *     plus {@link #FRAME_OVERHEAD} each; 0 keeps none
   */
  public StreamOutputSink(
      MicroVm vm,
      LongSupplier epoch,
      InputFlow flow,
      long highWatermark,
      long lowWatermark,
      Duration heartbeat,
      long retentionBytes) {
    this.vm = vm;
    this.retentionBytes = retentionBytes;
    this.epoch = epoch;
    this.flow = flow;
    this.highWatermark = highWatermark;
    this.lowWatermark = lowWatermark;
    this.heartbeat = heartbeat;
  }

  // ---- from the VM thread ---------------------------------------------------------------------

  @Override
  public void output(int conn, long interval, long offset, byte[] bytes) {
    enqueue(new IoFrame.Output(epoch.getAsLong(), interval, conn, offset, bytes), bytes.length);
  }

  @Override
  public void closed(int conn, long interval, long endOffset) {
    enqueue(new IoFrame.Closed(epoch.getAsLong(), interval, conn, endOffset), 0);
  }

  /**
   * Queues the INTERVAL frame without waking the writer: this runs inside a checkpoint's pause, and
   * a wake-up there costs the pause 0.05-0.2 ms; {@link #settle()} (right after the pause) or the
   * next frame wakes it.
   */
  @Override
  public void interval(long interval) {
    lock.lock();
    try {
      this.interval = interval;
      log.add(new IoFrame.Interval(epoch.getAsLong(), interval));
      wakeOwed = true;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void settle() {
    if (!wakeOwed) {
      return;
    }
    lock.lock();
    try {
      if (wakeOwed) {
        wakeOwed = false;
        changed.signalAll();
      }
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void consumed(int conn, long offset) {
    flow.consumed(conn, offset);
  }

  @Override
  public void ended(int conn) {
    flow.ended(conn);
  }

  @Override
  public void crashed(GuestTrapException cause) {
    enqueue(new IoFrame.Crashed(epoch.getAsLong(), cause.getMessage()), 0);
    settle(); // the VM thread dispatches nothing more: the proxy learns it now
  }

  private void enqueue(IoFrame frame, int bytes) {
    boolean gate = false;
    lock.lock();
    try {
      log.add(frame);
      queuedBytes += bytes;
      if (!gated && queuedBytes > highWatermark) {
        gated = gate = true;
      }
      if (!gate && vm != null && vm.onVmThread()) {
        // the VM thread settles after its burst of events (or when it runs out of them): one
        // wake-up of the writer for the burst's output, not one per event (issue 18)
        wakeOwed = true;
      } else {
        wakeOwed = false;
        changed.signalAll();
      }
    } finally {
      lock.unlock();
    }
    if (gate) {
      vm.gateInput(true);
    }
  }

  /** Output bytes waiting for the subscriber. */
  public long queuedBytes() {
    lock.lock();
    try {
      return queuedBytes;
    } finally {
      lock.unlock();
    }
  }

  // ---- the subscriber -------------------------------------------------------------------------

  /** What a kept frame counts for, beyond its output bytes (a frame's head and fields). */
  static final int FRAME_OVERHEAD = 32;

  private static long size(IoFrame f) {
    return f instanceof IoFrame.Output o ? o.bytes().length + FRAME_OVERHEAD : FRAME_OVERHEAD;
  }

  private long end() {
    return base + (log.size() - head);
  }

  private IoFrame frame(long number) {
    return log.get(head + (int) (number - base));
  }

  /** Drops the oldest written frames beyond the retention. Under the lock. */
  private void trim() {
    while (base < unwritten && retainedBytes > retentionBytes) {
      retainedBytes -= size(log.get(head));
      log.set(head++, null);
      base++;
    }
    if (head > 1024 && head > log.size() / 2) {
      log.subList(0, head).clear();
      head = 0;
    }
  }

  /** Written frames kept for a new subscriber (their number). */
  public int retainedFrames() {
    lock.lock();
    try {
      return (int) (unwritten - base);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Writes frames to {@code out} until the subscriber goes away or a newer subscriber replaces it:
   * first the frames kept from earlier subscribers (they may never have arrived), then each frame
   * as it comes. A frame stops counting as queued once written.
   */
  public void serve(OutputStream raw) throws IOException {
    long me;
    long next;
    lock.lock();
    try {
      me = ++subscription;
      next = base; // the kept frames first: a dead subscriber may have had them, not delivered
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    FrameOutput out = new FrameOutput(new BufferedOutputStream(raw, 1 << 16));
    IoFrameCodec codec = new IoFrameCodec();
    codec.write(new IoFrame.Interval(epoch.getAsLong(), currentInterval()), out);
    out.flush();
    while (true) {
      IoFrame f;
      lock.lock();
      try {
        long deadline = System.nanoTime() + heartbeat.toNanos();
        while (Math.max(next, base) == end() && subscription == me) {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            break;
          }
          changed.awaitNanos(left);
        }
        if (subscription != me) {
          codec.write(new IoFrame.End(), out);
          out.flush();
          return;
        }
        // frames trimmed meanwhile (beyond the retention) are gone: the proxy resets what misses
        next = Math.max(next, base);
        f = next < end() ? frame(next) : null;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } finally {
        lock.unlock();
      }
      if (f == null) {
        codec.write(new IoFrame.Heartbeat(epoch.getAsLong(), currentInterval()), out);
        out.flush();
        continue;
      }
      codec.write(f, out);
      boolean ungate = false;
      boolean more;
      lock.lock();
      try {
        next++;
        if (next > unwritten) { // the first subscriber to write it: no longer queued, kept
          unwritten = next;
          if (f instanceof IoFrame.Output o) {
            queuedBytes -= o.bytes().length;
          }
          retainedBytes += size(f);
          trim();
          if (gated && queuedBytes <= lowWatermark) {
            gated = false;
            ungate = true;
          }
        }
        more = Math.max(next, base) < end();
      } finally {
        lock.unlock();
      }
      if (!more) {
        out.flush();
      }
      if (ungate) {
        vm.gateInput(false);
      }
    }
  }

  private long currentInterval() {
    lock.lock();
    try {
      return interval;
    } finally {
      lock.unlock();
    }
  }

  /** Ends the current subscriber (the VM is going away). */
  public void close() {
    lock.lock();
    try {
      subscription++;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }
}
