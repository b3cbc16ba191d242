package dev.coloha.mirror.replication;

import dev.coloha.wire.ColoException;
import dev.coloha.wire.CorruptStreamException;
import dev.coloha.wire.block.BlockErrors;
import dev.coloha.wire.block.BlockFrame;
import dev.coloha.wire.block.BlockFrameCodec;
import dev.coloha.wire.block.MirrorTimeoutException;
import dev.coloha.wire.block.MirrorUnavailableException;
import dev.coloha.wire.frame.FrameInput;
import dev.coloha.wire.frame.FrameOutput;
import io.github.resilience4j.core.IntervalFunction;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a primary volume's {@link ReplicationQueue} to its secondary over a long-lived replica
 * stream, and feeds the secondary's acknowledgements back into the queue. Reconnects with
 * exponential backoff (Resilience4j's {@link IntervalFunction}: the wait doubles from {@code
 * reconnect-backoff}, jittered by half either way, capped at {@code max-reconnect-backoff}) and
 * resumes after the last frame the secondary holds; sends a heartbeat on an idle stream. A typed
 * refusal from the secondary (a newer epoch, no such volume, a gap) ends it: its {@link Listener}
 * decides what that means for the volume.
 */
public final class Forwarder {
  private static final Logger log = LoggerFactory.getLogger(Forwarder.class);

  /** What the forwarder tells its volume. */
  public interface Listener {
    /**
     * The secondary greeted a new stream.
     *
     * @return the sequence number after which to send
     * @throws ReplicationBrokenException if the two cannot continue (a resync is needed)
     */
    long resumeAfter(BlockFrame.ReplicaHello hello);

    /** The secondary holds every frame up to {@code seq} and has committed this barrier. */
    void acked(long seq, long committedBarrier);

    /**
     * The stream was lost (a network error, the secondary restarting).
     *
     * @return whether to reconnect
     */
    boolean disconnected(Exception cause);

    /** The secondary refused the stream for good (typed reason); the forwarder stops. */
    void refused(ColoException cause);
  }

  private final String volume;
  private final ReplicaTransport transport;
  private final ReplicationQueue queue;
  private final LongSupplier epoch;
  private final Listener listener;
  private final Duration heartbeat;

  /** Random spread of a reconnection wait: within half of it either way (Resilience4j's). */
  static final double RECONNECT_JITTER = 0.5;

  private final IntervalFunction reconnectWaits;
  private final int maxFrame;
  private volatile boolean stopped;
  private volatile boolean connected;
  private volatile ReplicaTransport.Link link;
  private volatile Thread thread;

  public Forwarder(
      String volume,
      ReplicaTransport transport,
      ReplicationQueue queue,
      LongSupplier epoch,
      Listener listener,
      Duration heartbeat,
      Duration backoff,
      Duration maxBackoff,
      int maxFrame) {
    this.volume = volume;
    this.transport = transport;
    this.queue = queue;
    this.epoch = epoch;
    this.listener = listener;
    this.heartbeat = heartbeat;
    this.reconnectWaits = reconnectWaits(backoff, maxBackoff);
    this.maxFrame = maxFrame;
  }

  public void start() {
    // platform threads (here and for the acknowledgements): their socket calls block in the
    // kernel instead of going through the virtual threads' poller and a carrier (issue 18)
    thread = Thread.ofPlatform().daemon().name("forwarder-" + volume).start(this::run);
  }

  /** Stops for good and closes the stream; frames stay in the queue. */
  public void stop() {
    stopped = true;
    ReplicaTransport.Link l = link;
    if (l != null) {
      l.close();
    }
    Thread t = thread;
    if (t != null) {
      t.interrupt();
    }
  }

  public boolean connected() {
    return connected;
  }

  public String target() {
    return transport.describe();
  }

  /**
   * The wait before reconnection attempt {@code n} (from 1): {@code first * 2^(n-1)}, jittered by
   * {@link #RECONNECT_JITTER} either way, never above {@code max}.
   */
  static IntervalFunction reconnectWaits(Duration first, Duration max) {
    return IntervalFunction.ofExponentialRandomBackoff(first, 2.0, RECONNECT_JITTER, max);
  }

  private void run() {
    int attempt = 0;
    while (!stopped) {
      try {
        stream();
        return;
      } catch (ReplicationBrokenException | CorruptStreamException e) {
        listener.refused(e);
        return;
      } catch (MirrorUnavailableException | MirrorTimeoutException | IOException e) {
        if (stopped || !listener.disconnected(e)) {
          return;
        }
        log.info("replica stream of {} to {} lost: {}", volume, transport.describe(), e.toString());
      } catch (ColoException e) {
        if (!stopped) {
          listener.refused(e);
        }
        return;
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        log.error("replica stream of {} failed unexpectedly; reconnecting", volume, e);
        if (stopped || !listener.disconnected(e)) {
          return;
        }
      } finally {
        connected = false;
        ReplicaTransport.Link l = link;
        link = null;
        if (l != null) {
          l.close();
        }
      }
      try {
        // the attempts are counted across streams: a secondary that keeps dropping the stream
        // right after its greeting is not hammered
        Thread.sleep(reconnectWaits.apply(attempt < Integer.MAX_VALUE ? ++attempt : attempt));
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private final class Acks implements Runnable {
    private final FrameInput in;
    private volatile ColoException remote;
    private volatile boolean ended;

    Acks(FrameInput in) {
      this.in = in;
    }

    @Override
    public void run() {
      BlockFrameCodec codec = new BlockFrameCodec();
      try {
        while (true) {
          BlockFrame f = codec.read(in);
          if (f instanceof BlockFrame.Ack a) {
            queue.ack(a.seq());
            listener.acked(a.seq(), a.committedBarrier());
          } else if (f instanceof BlockFrame.Error e) {
            remote = BlockErrors.fromWire(e.type(), e.message(), e.details());
            return;
          } else {
            return; // END, or the secondary went away
          }
        }
      } catch (IOException | ColoException e) {
        // the stream is gone; the sender notices
      } catch (RuntimeException e) {
        log.error("acknowledgements of {} failed unexpectedly", volume, e);
      } finally {
        ended = true;
        ReplicaTransport.Link l = link;
        if (l != null) {
          l.close(); // wakes the sender
        }
      }
    }
  }

  private void stream() throws IOException, InterruptedException {
    ReplicaTransport.Link l = transport.open(epoch.getAsLong());
    link = l;
    if (stopped) {
      throw new InterruptedException("stopped");
    }
    FrameInput in = FrameInput.unchecked(l.replies(), maxFrame);
    BlockFrameCodec codec = new BlockFrameCodec();
    BlockFrame first = codec.read(in);
    if (first instanceof BlockFrame.Error e) {
      throw BlockErrors.fromWire(e.type(), e.message(), e.details());
    }
    if (!(first instanceof BlockFrame.ReplicaHello hello)) {
      throw new IOException("the replica stream did not start with HELLO");
    }
    long cursor = listener.resumeAfter(hello);
    connected = true;
    log.info(
        "replica stream of {} to {} open (epoch {}), resuming after frame {}",
        volume,
        transport.describe(),
        epoch.getAsLong(),
        cursor);
    Acks acks = new Acks(in);
    Thread.ofPlatform().daemon().name("forwarder-acks-" + volume).start(acks);
    FrameOutput out = FrameOutput.unchecked(l.frames());
    long beat = heartbeat.toNanos();
    try {
      while (!stopped) {
        ReplicationQueue.Entry e = queue.next(cursor, beat);
        if (acks.remote != null) {
          throw acks.remote;
        }
        if (acks.ended) {
          throw new IOException("the secondary ended the replica stream");
        }
        if (e == null) {
          if (queue.isClosed()) {
            return;
          }
          codec.write(new BlockFrame.Heartbeat(epoch.getAsLong()), out);
          out.flush();
          continue;
        }
        codec.write(e.frame(), out);
        cursor = e.seq();
        if (!queue.hasAfter(cursor)) {
          out.flush();
        }
      }
    } catch (IOException e) {
      if (acks.remote != null) {
        throw acks.remote;
      }
      if (e instanceof InterruptedIOException) {
        throw new InterruptedException("stopped");
      }
      throw e;
    }
  }
}
