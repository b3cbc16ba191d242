package dev.coloha.proxy.replica;

import dev.coloha.proxy.group.ReplicaRef;
import dev.coloha.wire.frame.FrameInput;
import dev.coloha.wire.http.HttpStream;
import dev.coloha.wire.io.IoFrame;
import dev.coloha.wire.io.IoFrameCodec;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's subscription to one replica's output stream ({@code GET .../output?epoch=E}): reads
 * frames on a virtual thread and hands each to the group, in order. Any end of the stream that the
 * proxy did not ask for is reported once as broken; the proxy does not reconnect on its own (the
 * coordinator decides: failover, or a reconfiguration).
 */
public final class ReplicaOutput implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ReplicaOutput.class);

  private final ReplicaRef ref;
  private final long epoch;
  private final StreamSettings settings;
  private final Consumer<IoFrame> frames;
  private final BiConsumer<ReplicaOutput, String> broken;
  private final Runnable awaitRoom;
  private volatile HttpStream stream;
  private volatile boolean closed;
  private volatile boolean connected;

  /**
   * Counted down by the stream's first frame: the agent writes it once this proxy is its output's
   * subscriber (also when the stream ends or is closed, so that nobody waits in vain).
   */
  private final java.util.concurrent.CountDownLatch subscribed =
      new java.util.concurrent.CountDownLatch(1);

  /**
   * @param frames receives every frame (on the reader thread)
   * @param broken told once when the stream ends without {@link #close()}
   * @param awaitRoom called before each frame is read; blocks while the group buffers too much
   */
  public ReplicaOutput(
      ReplicaRef ref,
      long epoch,
      StreamSettings settings,
      Consumer<IoFrame> frames,
      BiConsumer<ReplicaOutput, String> broken,
      Runnable awaitRoom) {
    this.ref = ref;
    this.epoch = epoch;
    this.settings = settings;
    this.frames = frames;
    this.broken = broken;
    this.awaitRoom = awaitRoom;
  }

  /**
   * Starts the reader on a platform thread: it waits for data in the kernel itself ({@code poll},
   * the socket has a read timeout). A virtual thread's read that finds nothing yet costs a
   * registration with a poller and the poller's wake-up besides (per request at a low pipeline
   * depth); a group has one reader per replica, a proxy at most {@code limits.max-groups} groups.
   */
  public void start() {
    Thread.ofPlatform().daemon().name("output-" + ref.vm()).start(this::run);
  }

  public boolean connected() {
    return connected;
  }

  /**
   * Waits until the agent has made this proxy its output's subscriber (its first frame arrived), at
   * most {@code timeout}.
   *
   * @return whether it has; false if the time ran out or the stream ended first
   */
  public boolean awaitSubscribed(java.time.Duration timeout) throws InterruptedException {
    return subscribed.await(timeout.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS)
        && connected;
  }

  static URI uri(ReplicaRef ref, String stream, long epoch) {
    return URI.create(
        ref.agentUrl()
            + "/v1/vms/"
            + URLEncoder.encode(ref.vm(), StandardCharsets.UTF_8)
            + "/"
            + stream
            + "?epoch="
            + epoch);
  }

  private void run() {
    String why;
    try {
      HttpStream s =
          HttpStream.open(
              "GET",
              uri(ref, "output", epoch),
              settings.headers(Map.of()),
              settings.connectTimeout(),
              settings.readTimeout());
      stream = s;
      if (closed) {
        s.close();
        return;
      }
      int status = s.status();
      if (status != 200) {
        why = "HTTP " + status + ": " + s.responseText(2000);
      } else {
        connected = true;
        log.info("subscribed to the output of {} (epoch {})", ref, epoch);
        why = read(s.response());
      }
    } catch (IOException | RuntimeException e) {
      why = e.getClass().getSimpleName() + ": " + e.getMessage();
    }
    connected = false;
    subscribed.countDown();
    if (!closed) {
      log.warn("output stream of {} broken: {}", ref, why);
      broken.accept(this, why);
    }
  }

  private String read(InputStream body) throws IOException {
    FrameInput in = new FrameInput(body, settings.maxFrame());
    IoFrameCodec codec = new IoFrameCodec();
    while (!closed) {
      awaitRoom.run();
      IoFrame f = codec.read(in);
      if (f == null) {
        return "the agent ended the stream";
      }
      subscribed.countDown();
      switch (f) {
        case IoFrame.End e -> {
          return "the agent ended the stream (END)";
        }
        case IoFrame.Error e -> {
          return e.type() + ": " + e.message();
        }
        default -> frames.accept(f);
      }
    }
    return "closed";
  }

  @Override
  public void close() {
    closed = true;
    subscribed.countDown();
    HttpStream s = stream;
    if (s != null) {
      s.close();
    }
  }

  public ReplicaRef ref() {
    return ref;
  }
}
