package dev.coloha.proxy.group;

import dev.coloha.api.proxy.GroupView;
import dev.coloha.proxy.replica.ReplicaInput;
import dev.coloha.proxy.replica.ReplicaOutput;
import dev.coloha.proxy.replica.StreamSettings;
import dev.coloha.wire.io.IoFrame;

/**
 * One replica's two streams in one epoch: its output stream (frames for the comparator) and its
 * input stream (the clients' bytes). A link never changes its replica or its epoch; a new role in a
 * new epoch means a new link (or the old one carried on, for a failover to the secondary).
 */
final class ReplicaLink {
  /** What a link tells its group, on its streams' threads. */
  interface Listener {
    /** A frame of the replica's output stream, in order. */
    void frame(ReplicaLink link, IoFrame frame);

    /** One of the streams ended without being asked to. */
    void broken(ReplicaLink link, String stream, String why);

    /** The bytes waiting in the input stream's queue changed. */
    void queued(ReplicaLink link, long bytes);
  }

  /** Strictly increasing per group: which link a connection's input was fed to. */
  final long serial;

  final ReplicaRef ref;
  final long epoch;
  final ReplicaOutput out;
  final ReplicaInput in;

  /** The first break of either stream ({@code stream: why}), or null. */
  volatile String broken;

  /** Input bytes waiting in the input stream's queue. */
  volatile long queued;

  /**
   * @param awaitOutputRoom called before each output frame is read; blocks while the group buffers
   *     too much
   */
  ReplicaLink(
      long serial,
      ReplicaRef ref,
      long epoch,
      StreamSettings streams,
      Listener listener,
      Runnable awaitOutputRoom) {
    this.serial = serial;
    this.ref = ref;
    this.epoch = epoch;
    this.out =
        new ReplicaOutput(
            ref,
            epoch,
            streams,
            f -> listener.frame(this, f),
            (o, why) -> listener.broken(this, "output", why),
            awaitOutputRoom);
    this.in =
        new ReplicaInput(
            ref,
            epoch,
            streams,
            (i, why) -> listener.broken(this, "input", why),
            q -> listener.queued(this, q));
  }

  void start() {
    in.start();
    out.start();
  }

  /** Whether the agent made this link its VM's output subscriber within {@code timeout}. */
  boolean awaitOutput(java.time.Duration timeout) throws InterruptedException {
    return out.awaitSubscribed(timeout);
  }

  /** Queues a frame for the replica's input stream (its own thread writes it). */
  void send(IoFrame f) {
    in.send(f);
  }

  /** Queues a frame for the replica's input stream; the caller {@link #drain()}s next. */
  void offer(IoFrame f) {
    in.offer(f);
  }

  /** Writes the input stream's queue on the caller's thread unless another thread writes it. */
  void drain() {
    in.drain();
  }

  /** The replica lost its role: no more output is read, queued input is dropped. */
  void retire() {
    out.close();
    in.abort();
  }

  void close() {
    out.close();
    in.close();
  }

  GroupView.Replica view() {
    return new GroupView.Replica(ref.agentUrl(), ref.vm(), out.connected(), broken);
  }
}
