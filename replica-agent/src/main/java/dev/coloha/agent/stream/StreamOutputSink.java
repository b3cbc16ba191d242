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
import java.util.ArrayDeque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * A VM's output as a stream of tagged frames for one subscriber (the proxy). Frames queue until
 * written; above a high watermark of queued bytes the VM's input gate closes (the guest stops
 * producing) and reopens below the low watermark. Nothing is dropped. A new subscriber replaces the
 * previous one; an idle stream carries heartbeats.
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
  private final ArrayDeque<IoFrame> queue = new ArrayDeque<>();
  private long queuedBytes;

  /** An INTERVAL frame was queued without waking the writer (see {@link #interval}). */
  private volatile boolean wakeOwed;

  private boolean gated;
  private long interval;
  private long subscription;

  public StreamOutputSink(
      MicroVm vm,
      LongSupplier epoch,
      InputFlow flow,
      long highWatermark,
      long lowWatermark,
      Duration heartbeat) {
    this.vm = vm;
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
      queue.add(new IoFrame.Interval(epoch.getAsLong(), interval));
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
  }

  private void enqueue(IoFrame frame, int bytes) {
    boolean gate = false;
    lock.lock();
    try {
      queue.add(frame);
      queuedBytes += bytes;
      if (!gated && queuedBytes > highWatermark) {
        gated = gate = true;
      }
      wakeOwed = false;
      changed.signalAll();
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

  /**
   * Writes frames to {@code out} until the subscriber goes away or a newer subscriber replaces it.
   * A frame leaves the queue only once written.
   */
  public void serve(OutputStream raw) throws IOException {
    long me;
    lock.lock();
    try {
      me = ++subscription;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    FrameOutput out = new FrameOutput(new BufferedOutputStream(raw, 1 << 16));
    IoFrameCodec codec = new IoFrameCodec();
    codec.write(new IoFrame.Interval(epoch.getAsLong(), currentInterval()), out);
    out.flush();
    while (true) {
      IoFrame next;
      lock.lock();
      try {
        long deadline = System.nanoTime() + heartbeat.toNanos();
        while (queue.isEmpty() && subscription == me) {
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
        next = queue.peek();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } finally {
        lock.unlock();
      }
      if (next == null) {
        codec.write(new IoFrame.Heartbeat(epoch.getAsLong(), currentInterval()), out);
        out.flush();
        continue;
      }
      codec.write(next, out);
      boolean ungate = false;
      boolean more;
      lock.lock();
      try {
        queue.poll();
        if (next instanceof IoFrame.Output o) {
          queuedBytes -= o.bytes().length;
        }
        if (gated && queuedBytes <= lowWatermark) {
          gated = false;
          ungate = true;
        }
        more = !queue.isEmpty();
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
