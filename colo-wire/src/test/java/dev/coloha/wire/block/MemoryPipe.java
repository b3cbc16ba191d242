package dev.coloha.wire.block;

import static org.awaitility.Awaitility.await;

import dev.coloha.api.mirror.VolumeRole;
import dev.coloha.wire.ColoException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Supplier;

/**
 * An in-memory stand-in for a mirror's I/O stream, with the {@link BlockPipe} contract: requests
 * are applied in order by a separate thread (the mirror), writes wait in a send buffer until a
 * request that needs an answer or a push, and failures can be injected: a write the volume refuses,
 * or a stream that breaks with everything in flight.
 */
final class MemoryPipe implements BlockPipe {

  /** The volume behind the pipes; survives a broken pipe. */
  static final class Volume {
    byte[] image; // what a read sees: on a secondary, the committed image and its overlay
    VolumeRole role = VolumeRole.PRIMARY;
    byte[] committed; // secondary: the image a commit goes back to (its overlay discarded)
    int refusals; // writes the mirror refused
    int writesQueued; // writes sent on a pipe (answered or not)
    byte[] durable;
    final List<byte[]> barriers = new ArrayList<>();
    ColoException failNextWrite;
    ColoException failNextCommit;
    final List<Long> commits = new ArrayList<>(); // barriers committed, in order
    int maxUnacknowledged;
    int unacknowledged;
    int writesApplied; // writes that reached the mirror
    volatile boolean stalled; // the mirror applies nothing while set
    final Random delays;

    Volume(int size, long seed) {
      image = new byte[size];
      durable = new byte[size];
      delays = new Random(seed);
    }

    synchronized void failNextWrite(ColoException e) {
      failNextWrite = e;
    }

    synchronized byte[] image() {
      return image.clone();
    }

    synchronized byte[] durable() {
      return durable.clone();
    }

    /** A secondary's volume: a commit discards its overlay, a failover makes it the image. */
    synchronized Volume secondary() {
      role = VolumeRole.SECONDARY;
      committed = image.clone();
      return this;
    }

    synchronized int refusals() {
      return refusals;
    }

    synchronized int writesQueued() {
      return writesQueued;
    }

    synchronized byte[] barrier(int n) {
      return barriers.get(n);
    }

    synchronized int barrierCount() {
      return barriers.size();
    }
  }

  private record Pending(
      long seq, CompletableFuture<Object> reply, Supplier<Object> apply, boolean write) {}

  private static final Pending STOP = new Pending(0, null, null, false);

  private final Volume volume;
  private final int maxRequest;
  private final List<Pending> sendBuffer = new ArrayList<>();
  private final LinkedBlockingQueue<Pending> wire = new LinkedBlockingQueue<>();
  private final List<Pending> inFlight = new ArrayList<>();
  private volatile boolean broken;
  private long seqs; // guarded by this
  private volatile long answeredUpTo;
  private volatile ColoException writeRefusal;

  private final VolumeRole role; // the volume's role when the pipe was opened

  MemoryPipe(Volume volume, int maxRequest) {
    this.volume = volume;
    synchronized (volume) {
      this.role = volume.role;
    }
    this.maxRequest = maxRequest;
    Thread.ofPlatform().daemon().name("memory-mirror").start(this::serve);
  }

  private void serve() {
    try {
      while (true) {
        Pending p = wire.take();
        if (p == STOP) {
          return;
        }
        // a stalled mirror applies nothing until the test lets it go on (or the pipe breaks)
        if (volume.stalled) {
          await()
              .forever()
              .pollInSameThread()
              .pollDelay(Duration.ZERO)
              .pollInterval(Duration.ofMillis(1))
              .until(() -> !volume.stalled || broken);
        }
        if (volume.delays.nextInt(4) == 0) {
          Thread.yield(); // let the caller run ahead: queues fill, backpressure waits
        }
        Object result;
        try {
          synchronized (volume) {
            result = p.apply.get();
          }
        } catch (ColoException e) {
          complete(p, null, e);
          continue;
        }
        complete(p, result, null);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void complete(Pending p, Object result, ColoException error) {
    synchronized (this) {
      if (!inFlight.remove(p)) {
        return; // failed by a break already
      }
      if (p.write) {
        synchronized (volume) {
          volume.unacknowledged--;
        }
        if (error != null && writeRefusal == null) {
          writeRefusal = error;
        }
      }
      answeredUpTo = p.seq;
      notifyAll();
    }
    if (p.reply == null) {
      return; // a queued write: answered by sequence
    }
    if (error != null) {
      p.reply.completeExceptionally(error);
    } else {
      p.reply.complete(result);
    }
  }

  @SuppressWarnings("unchecked")
  private synchronized <T> CompletableFuture<T> send(
      Supplier<Object> apply, boolean push, boolean w) {
    CompletableFuture<Object> f = w ? null : new CompletableFuture<>();
    if (broken) {
      if (f != null) {
        f.completeExceptionally(new MirrorUnavailableException("memory pipe broken"));
      }
      seqs++;
      return (CompletableFuture<T>) (CompletableFuture<?>) f;
    }
    Pending p = new Pending(++seqs, f, apply, w);
    inFlight.add(p);
    if (w) {
      synchronized (volume) {
        volume.unacknowledged++;
        volume.maxUnacknowledged = Math.max(volume.maxUnacknowledged, volume.unacknowledged);
      }
    }
    sendBuffer.add(p);
    if (push) {
      push();
    }
    return (CompletableFuture<T>) (CompletableFuture<?>) f;
  }

  /** The stream breaks: everything in flight fails, the pipe is broken for good. */
  void breakNow() {
    List<Pending> failed;
    synchronized (this) {
      notifyAll();
      broken = true;
      failed = new ArrayList<>(inFlight);
      inFlight.clear();
      sendBuffer.clear();
      synchronized (volume) {
        for (Pending p : failed) {
          if (p.write) {
            volume.unacknowledged--;
          }
        }
      }
      wire.add(STOP);
    }
    for (Pending p : failed) {
      if (p.reply != null) {
        p.reply.completeExceptionally(new MirrorUnavailableException("memory pipe broke"));
      }
    }
  }

  @Override
  public long sizeBytes() {
    return volume.image.length;
  }

  @Override
  public int maxRequest() {
    return maxRequest;
  }

  @Override
  public VolumeRole role() {
    return role;
  }

  @Override
  public boolean isBroken() {
    return broken;
  }

  @Override
  public synchronized long queueWrite(long offset, byte[] data) {
    synchronized (volume) {
      volume.writesQueued++;
    }
    send(
        () -> {
          if (volume.failNextWrite != null) {
            ColoException e = volume.failNextWrite;
            volume.failNextWrite = null;
            volume.refusals++;
            throw e;
          }
          System.arraycopy(data, 0, volume.image, (int) offset, data.length);
          volume.writesApplied++;
          return null;
        },
        false,
        true);
    return seqs;
  }

  @Override
  public long answeredUpTo() {
    return answeredUpTo;
  }

  @Override
  public ColoException writeRefusal() {
    return writeRefusal;
  }

  @Override
  public synchronized boolean awaitAnswered(long n, long nanos) throws InterruptedException {
    long deadline = System.nanoTime() + nanos;
    while (answeredUpTo < n && !broken) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        break;
      }
      java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return answeredUpTo >= n;
  }

  @Override
  public CompletableFuture<byte[]> sendRead(long offset, int length) {
    return send(
        () -> Arrays.copyOfRange(volume.image, (int) offset, (int) offset + length), true, false);
  }

  @Override
  public CompletableFuture<Long> sendFlush() {
    return send(
        () -> {
          volume.durable = volume.image.clone();
          return 0L;
        },
        true,
        false);
  }

  @Override
  public CompletableFuture<Long> sendBarrier(long n) {
    return send(
        () -> {
          volume.barriers.add(volume.image.clone());
          return n;
        },
        true,
        false);
  }

  @Override
  public CompletableFuture<Long> sendCommit(long n) {
    return send(
        () -> {
          if (volume.failNextCommit != null) {
            ColoException e = volume.failNextCommit;
            volume.failNextCommit = null;
            throw e;
          }
          volume.commits.add(n);
          if (volume.role == VolumeRole.SECONDARY) {
            volume.image = volume.committed.clone(); // the overlay is discarded
          }
          return n;
        },
        true,
        false);
  }

  @Override
  public CompletableFuture<Long> sendFailover(long newEpoch) {
    return send(
        () -> {
          volume.role = VolumeRole.PRIMARY; // the overlay, as it is, becomes the disk
          volume.committed = null;
          return newEpoch;
        },
        true,
        false);
  }

  @Override
  public synchronized void push() {
    wire.addAll(sendBuffer);
    sendBuffer.clear();
  }

  @Override
  public synchronized void close() {
    push();
    wire.add(STOP);
  }
}
