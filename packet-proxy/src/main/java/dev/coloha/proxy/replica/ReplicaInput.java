package dev.coloha.proxy.replica;

import dev.coloha.proxy.group.ReplicaRef;
import dev.coloha.wire.frame.FrameOutput;
import dev.coloha.wire.http.HttpStream;
import dev.coloha.wire.io.IoFrame;
import dev.coloha.wire.io.IoFrameCodec;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's input stream to one replica ({@code POST .../input?epoch=E}): frames are queued by
 * the client readers (never blocking them) and written by one virtual thread, flushed as soon as
 * the queue is empty, so that a burst from many clients goes out in few chunks. An idle stream
 * carries heartbeats. The agent answers only when the stream ends; that answer (or a write failure)
 * is a broken stream, reported once.
 */
public final class ReplicaInput implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ReplicaInput.class);

  private final ReplicaRef ref;
  private final long epoch;
  private final StreamSettings settings;
  private final BiConsumer<ReplicaInput, String> broken;
  private final LongConsumer queuedBytes;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition ready = lock.newCondition();
  private final ArrayDeque<IoFrame> queue = new ArrayDeque<>();
  private long queued;
  private volatile boolean closed;
  private volatile boolean failed;
  private volatile HttpStream stream;

  /**
   * @param broken told once when the stream fails without {@link #close()}
   * @param queuedBytes told the bytes waiting in the queue after every change
   */
  public ReplicaInput(
      ReplicaRef ref,
      long epoch,
      StreamSettings settings,
      BiConsumer<ReplicaInput, String> broken,
      LongConsumer queuedBytes) {
    this.ref = ref;
    this.epoch = epoch;
    this.settings = settings;
    this.broken = broken;
    this.queuedBytes = queuedBytes;
  }

  public void start() {
    Thread.ofVirtual().name("input-" + ref.vm()).start(this::run);
  }

  /** Queues a frame (dropped if the stream has failed: the replica is lost anyway). */
  public void send(IoFrame f) {
    long q;
    lock.lock();
    try {
      if (failed || closed) {
        return;
      }
      queue.add(f);
      if (f instanceof IoFrame.Data d) {
        queued += d.bytes().length;
      }
      q = queued;
      ready.signal();
    } finally {
      lock.unlock();
    }
    queuedBytes.accept(q);
  }

  public boolean failed() {
    return failed;
  }

  private void run() {
    String why;
    try {
      HttpStream s =
          HttpStream.open(
              "POST",
              ReplicaOutput.uri(ref, "input", epoch),
              settings.headers(Map.of("Content-Type", "application/octet-stream")),
              settings.connectTimeout(),
              java.time.Duration.ZERO);
      stream = s;
      Thread.ofVirtual().name("input-" + ref.vm() + "-answer").start(() -> watch(s));
      log.info("input stream to {} open (epoch {})", ref, epoch);
      why = write(s);
    } catch (IOException | RuntimeException e) {
      why = e.getClass().getSimpleName() + ": " + e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      why = "interrupted";
    }
    fail(why);
  }

  private String write(HttpStream s) throws IOException, InterruptedException {
    FrameOutput out = new FrameOutput(s.body());
    IoFrameCodec codec = new IoFrameCodec();
    long beat = settings.heartbeatInterval().toNanos();
    while (true) {
      IoFrame f;
      long q;
      lock.lock();
      try {
        long left = beat;
        while (queue.isEmpty() && !closed && !failed && left > 0) {
          left = ready.awaitNanos(left);
        }
        if (failed) {
          return "failed";
        }
        f = queue.poll();
        if (f == null && closed) {
          codec.write(new IoFrame.End(), out);
          s.body().close();
          return null;
        }
        if (f instanceof IoFrame.Data d) {
          queued -= d.bytes().length;
        }
        q = queued;
      } finally {
        lock.unlock();
      }
      if (f == null) {
        codec.write(new IoFrame.Heartbeat(epoch, 0), out);
        out.flush();
        continue;
      }
      codec.write(f, out);
      if (q == 0 && queueEmpty()) {
        out.flush();
      }
      queuedBytes.accept(q);
    }
  }

  private boolean queueEmpty() {
    lock.lock();
    try {
      return queue.isEmpty();
    } finally {
      lock.unlock();
    }
  }

  /** The agent answers when it stops reading: whatever it says, the stream is over. */
  private void watch(HttpStream s) {
    try {
      int status = s.status();
      String body = s.responseText(2000);
      fail(
          status == 200
              ? "the agent ended the input stream: " + body
              : "HTTP " + status + ": " + body);
    } catch (IOException e) {
      fail("input stream: " + e.getMessage());
    }
  }

  private void fail(String why) {
    if (why == null) {
      return; // clean end after close()
    }
    lock.lock();
    boolean first;
    try {
      first = !failed && !closed;
      failed = true;
      queue.clear();
      queued = 0;
      ready.signalAll();
    } finally {
      lock.unlock();
    }
    queuedBytes.accept(0);
    HttpStream s = stream;
    if (s != null) {
      s.close();
    }
    if (first) {
      log.warn("input stream to {} broken: {}", ref, why);
      broken.accept(this, why);
    }
  }

  /** Ends the stream cleanly (END) after what is queued. */
  @Override
  public void close() {
    lock.lock();
    try {
      closed = true;
      ready.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Drops the stream at once. */
  public void abort() {
    closed = true;
    HttpStream s = stream;
    if (s != null) {
      s.close();
    }
  }

  public ReplicaRef ref() {
    return ref;
  }
}
