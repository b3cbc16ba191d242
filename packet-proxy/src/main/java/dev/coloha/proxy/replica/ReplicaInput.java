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
 * the group's client loop (never blocking it while another thread writes) and written in queue
 * order by whichever thread owns the stream at the time, flushed as soon as the queue is empty, so
 * that a burst from many clients goes out in few chunks. The client loop queues the frames of all
 * the clients it read in one round and then writes the queue itself ({@link #drain()}): a request
 * costs no hand-off to another thread, and the round's frames go out in one write. The stream's own
 * virtual thread opens it, writes what was queued before it opened, and carries heartbeats while it
 * is idle. The agent answers only when the stream ends; that answer (or a write failure) is a
 * broken stream, reported once.
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

  /** Whether a thread owns the stream's writer (under {@link #lock}): it writes and flushes. */
  private boolean writing;

  /** The open stream's frame writer, once the stream is open (used by the owner only). */
  private FrameOutput out;

  /** When the stream was last given up after a write (System.nanoTime, under {@link #lock}). */
  private long lastWrite;

  private final IoFrameCodec codec = new IoFrameCodec();
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

  /**
   * Queues a frame (dropped if the stream has failed: the replica is lost anyway) for the stream's
   * own thread to write. A caller that can write it itself uses {@link #offer} and {@link #drain}.
   */
  public void send(IoFrame f) {
    enqueue(f, true);
  }

  /**
   * Queues a frame without waking the stream's thread: the caller calls {@link #drain()} next (out
   * of its own locks), which writes it unless another thread is writing (that one writes it).
   */
  public void offer(IoFrame f) {
    enqueue(f, false);
  }

  private void enqueue(IoFrame f, boolean wake) {
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
      if (wake || out == null) {
        ready.signal();
      }
    } finally {
      lock.unlock();
    }
    queuedBytes.accept(q);
  }

  /**
   * Writes what is queued, on the caller's thread, unless another thread is writing already (it
   * writes the queue to its end) or the stream is not open yet (its own thread writes it once
   * open). Blocks only while the agent does not read (its socket buffer full): the client loop then
   * reads no client of the group until the agent reads again (their input could go nowhere else);
   * replies are still written by the threads that release them.
   */
  public void drain() {
    lock.lock();
    try {
      if (writing || out == null || failed || queue.isEmpty()) {
        return;
      }
      writing = true;
    } finally {
      lock.unlock();
    }
    String why;
    try {
      why = writeQueued();
    } catch (IOException | RuntimeException e) {
      why = e.getClass().getSimpleName() + ": " + e.getMessage();
    }
    if (why != null) {
      fail(why);
    }
  }

  /**
   * The owner writes the queue in order until it is empty, flushes, and gives up the stream (the
   * check for an empty queue and the release are one step under the lock: nothing queued meanwhile
   * is left behind; whoever queued it either found the stream owned or owns it next).
   *
   * @return null, or why the stream failed
   */
  private String writeQueued() throws IOException {
    boolean wrote = false;
    while (true) {
      IoFrame f;
      long q;
      lock.lock();
      try {
        if (failed) {
          writing = false;
          return "failed";
        }
        f = queue.poll();
        if (f == null) {
          if (!wrote) {
            writing = false;
            lastWrite = System.nanoTime();
            if (closed) {
              ready.signalAll(); // the stream's thread ends it
            }
            return null;
          }
        } else if (f instanceof IoFrame.Data d) {
          queued -= d.bytes().length;
        }
        q = queued;
      } finally {
        lock.unlock();
      }
      if (f == null) {
        out.flush();
        wrote = false; // the queue is checked once more before the stream is given up
        continue;
      }
      codec.write(f, out);
      wrote = true;
      queuedBytes.accept(q);
    }
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

  /**
   * The stream's own thread: writes what was queued while it opened (or queued with {@link #send}),
   * a heartbeat whenever the stream was idle for the heartbeat interval, and END after {@link
   * #close()}.
   */
  private String write(HttpStream s) throws IOException, InterruptedException {
    long beat = settings.heartbeatInterval().toNanos();
    lock.lock();
    try {
      out = new FrameOutput(s.body());
      lastWrite = System.nanoTime();
    } finally {
      lock.unlock();
    }
    while (true) {
      boolean heartbeat = false;
      boolean end = false;
      lock.lock();
      try {
        while (true) {
          if (failed) {
            return "failed";
          }
          if (!writing) {
            if (!queue.isEmpty()) {
              break;
            }
            if (closed) {
              end = true;
              break;
            }
            if (System.nanoTime() - lastWrite >= beat) {
              heartbeat = true;
              break;
            }
          }
          long left = writing ? beat : beat - (System.nanoTime() - lastWrite);
          ready.awaitNanos(Math.max(left, 1_000_000));
        }
        writing = true;
      } finally {
        lock.unlock();
      }
      if (end) {
        codec.write(new IoFrame.End(), out);
        s.body().close();
        return null;
      }
      if (heartbeat) {
        codec.write(new IoFrame.Heartbeat(epoch, 0), out);
        out.flush();
        releaseWriting();
      } else {
        String why = writeQueued();
        if (why != null) {
          return why;
        }
      }
    }
  }

  private void releaseWriting() {
    lock.lock();
    try {
      writing = false;
      lastWrite = System.nanoTime();
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
