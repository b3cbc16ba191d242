package dev.coloha.wire.block;

import dev.coloha.api.mirror.VolumeRole;
import dev.coloha.wire.ColoException;
import dev.coloha.wire.CorruptStreamException;
import dev.coloha.wire.frame.FrameInput;
import dev.coloha.wire.frame.FrameOutput;
import dev.coloha.wire.http.HttpStream;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One attachment of a volume on a disk mirror: a persistent full-duplex stream carrying request
 * frames one way and reply frames the other, either an HTTP stream ({@code POST
 * /v1/volumes/{id}/io?epoch=E}, any host) or the mirror's Unix-domain socket ({@code
 * unix:/path/to/io.sock}, same host: an ATTACH frame instead of the HTTP request head). The
 * synchronous calls wait for their reply with a timeout; several threads may call at once, their
 * requests are pipelined and matched to replies by id.
 *
 * <p>As a {@link BlockPipe} it also sends requests without waiting: a write stays in the send
 * buffer (frames are batched) until a later request that needs an answer, {@link #push()}, or a
 * full buffer sends it.
 *
 * <p>Every failure is a typed {@link ColoException}: the mirror's own (stale epoch, sector range,
 * limits, volume state, barrier order...) rebuilt from its FAIL frame, {@link
 * MirrorTimeoutException} when no reply came in time, {@link MirrorUnavailableException} once the
 * connection is gone (the client is then broken for good: open a new one).
 *
 * <p>Over 400 lines on purpose: both transports, the pipelining and the matching of replies share
 * one connection state (pending requests by id, the send buffer, broken for good); the frames are
 * BlockFrame's.
 */
public final class BlockClient implements BlockPipe {
  private static final ScheduledExecutorService HEARTBEATS =
      Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().daemon().name("block-client-heartbeat").factory());

  /**
   * @param connectTimeout TCP connect timeout
   * @param requestTimeout longest wait for one reply
   * @param heartbeatInterval a heartbeat is sent after this much idle time (the mirror answers)
   * @param streamTimeout longest silence tolerated from the mirror (more than the heartbeat)
   * @param maxFrame largest reply frame accepted (the largest read plus a header)
   * @param headers extra request headers (e.g. Authorization)
   */
  public record Options(
      Duration connectTimeout,
      Duration requestTimeout,
      Duration heartbeatInterval,
      Duration streamTimeout,
      int maxFrame,
      Map<String, String> headers) {
    public Options {
      headers = Map.copyOf(headers);
      if (heartbeatInterval.isZero() || heartbeatInterval.isNegative()) {
        throw new IllegalArgumentException("heartbeat interval must be positive");
      }
    }

    public static Options defaults() {
      return new Options(
          Duration.ofSeconds(2),
          Duration.ofSeconds(30),
          Duration.ofSeconds(1),
          Duration.ofSeconds(10),
          (1 << 20) + BlockFrameCodec.MAX_HEADER,
          Map.of());
    }

    public Options withRequestTimeout(Duration timeout) {
      return new Options(
          connectTimeout, timeout, heartbeatInterval, streamTimeout, maxFrame, headers);
    }
  }

  private final String volume;
  private final OutputStream body;
  private final AutoCloseable connection;
  private final FrameOutput out;
  private final BlockFrameCodec encoder = new BlockFrameCodec();
  private final Options options;
  private final Map<Long, CompletableFuture<BlockFrame>> pending = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();
  // replies come in request order: the last one's id says every request up to it was answered
  private volatile long answeredUpTo;
  private volatile ColoException writeRefusal; // the first queued write the mirror refused
  private final Object answered = new Object();
  private volatile int answerWaiters; // changed under answered only
  private final long sizeBytes;
  private final VolumeRole role;
  private final int maxRequest;
  private final ScheduledFuture<?> heartbeat;
  private volatile long epoch;
  private volatile long lastSentNanos = System.nanoTime();
  private volatile long lastReceivedNanos = System.nanoTime();
  private volatile ColoException broken;

  private BlockClient(
      String volume,
      OutputStream body,
      AutoCloseable connection,
      FrameInput in,
      BlockFrame.Hello hello,
      Options options) {
    this.volume = volume;
    this.body = body;
    this.connection = connection;
    this.out = FrameOutput.unchecked(body); // block frames carry no checksum
    this.options = options;
    this.epoch = hello.epoch();
    this.sizeBytes = hello.sizeBytes();
    this.role = hello.role();
    this.maxRequest = hello.maxRequest();
    long every = options.heartbeatInterval().toMillis();
    this.heartbeat =
        HEARTBEATS.scheduleWithFixedDelay(this::heartbeat, every, every, TimeUnit.MILLISECONDS);
    // a platform thread: it blocks in the socket read itself, one scheduler hop less per reply
    Thread.ofPlatform().daemon().name("block-client-" + volume).start(() -> readReplies(in));
  }

  /**
   * Attaches to {@code volume} on the mirror at {@code mirror} (e.g. {@code http://127.0.0.1:7702})
   * in {@code epoch}; a {@code unix:} URI (e.g. {@code unix:/run/colo/mirror-io.sock}) is the
   * mirror's Unix-domain socket on this host.
   *
   * @throws dev.coloha.wire.StaleEpochException if the volume is in a newer epoch
   * @throws VolumeNotFoundException if the mirror has no such volume
   * @throws MirrorUnavailableException if the mirror cannot be reached
   */
  public static BlockClient connect(URI mirror, String volume, long epoch, Options options) {
    if ("unix".equals(mirror.getScheme())) {
      return connectUnix(Path.of(mirror.getSchemeSpecificPart()), volume, epoch, options);
    }
    String base = mirror.toString().replaceAll("/+$", "");
    URI uri =
        URI.create(
            base
                + "/v1/volumes/"
                + URLEncoder.encode(volume, StandardCharsets.UTF_8)
                + "/io?epoch="
                + epoch);
    HttpStream s;
    try {
      s =
          HttpStream.open(
              "POST", uri, options.headers(), options.connectTimeout(), options.streamTimeout());
    } catch (IOException e) {
      throw new MirrorUnavailableException("cannot reach the mirror at " + mirror, e);
    }
    try {
      int status = s.status();
      if (status != 200) {
        throw BlockErrors.fromProblem(status, s.responseText(16 << 10));
      }
      InputStream body = new BufferedInputStream(s.response(), 1 << 16);
      FrameInput in = FrameInput.unchecked(body, options.maxFrame());
      BlockFrame first = new BlockFrameCodec().read(in);
      if (!(first instanceof BlockFrame.Hello hello)) {
        throw new CorruptStreamException("the mirror's I/O stream did not start with HELLO");
      }
      return new BlockClient(volume, s.body(), s, in, hello, options);
    } catch (IOException e) {
      s.close();
      throw new MirrorUnavailableException("the mirror at " + mirror + " failed: " + e, e);
    } catch (RuntimeException e) {
      s.close();
      throw e;
    }
  }

  /**
   * Attaches to {@code volume} through the mirror's Unix-domain socket at {@code socket} (agent and
   * mirror on one host): an ATTACH frame, then the same frames as the HTTP stream. A refusal is an
   * ERROR frame with the same typed error as the HTTP problem document.
   */
  public static BlockClient connectUnix(Path socket, String volume, long epoch, Options options) {
    SocketChannel ch;
    try {
      ch = SocketChannel.open(StandardProtocolFamily.UNIX);
      ch.connect(UnixDomainSocketAddress.of(socket));
    } catch (IOException e) {
      throw new MirrorUnavailableException("cannot reach the mirror at unix:" + socket, e);
    }
    try {
      // a write frame larger than the buffer's room goes out with the frames buffered before it
      // (its own head among them) in one gathering write: one system call, and one wake-up of
      // the mirror's stream thread, per held write (issue 18)
      OutputStream body = new GatheringOutput(ch, 1 << 16);
      BlockFrameCodec codec = new BlockFrameCodec();
      codec.write(new BlockFrame.Attach(volume, epoch), FrameOutput.unchecked(body));
      body.flush();
      InputStream replies = new BufferedInputStream(Channels.newInputStream(ch), 1 << 16);
      FrameInput in = FrameInput.unchecked(replies, options.maxFrame());
      BlockFrame first = codec.read(in);
      switch (first) {
        case BlockFrame.Hello hello -> {
          return new BlockClient(volume, body, ch, in, hello, options);
        }
        case BlockFrame.Error e -> throw BlockErrors.fromWire(e.type(), e.message(), e.details());
        case null -> throw new MirrorUnavailableException("the mirror closed unix:" + socket);
        default ->
            throw new CorruptStreamException("the mirror's I/O stream did not start with HELLO");
      }
    } catch (IOException e) {
      close(ch);
      throw new MirrorUnavailableException("the mirror at unix:" + socket + " failed: " + e, e);
    } catch (RuntimeException e) {
      close(ch);
      throw e;
    }
  }

  private static void close(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      // closing anyway
    }
  }

  public String volume() {
    return volume;
  }

  /** Size of the volume in bytes. */
  public long sizeBytes() {
    return sizeBytes;
  }

  /** The role the volume had when this client attached. */
  public VolumeRole role() {
    return role;
  }

  /** Largest read or write the mirror accepts. */
  public int maxRequest() {
    return maxRequest;
  }

  /** The epoch of this attachment (a failover moves it to the new epoch). */
  public long epoch() {
    return epoch;
  }

  /** Whether the connection has failed or been closed. */
  public boolean isBroken() {
    return broken != null;
  }

  // ---- operations -----------------------------------------------------------------------------

  /** Reads {@code length} bytes at {@code offset} into {@code dst}. */
  public void read(long offset, byte[] dst, int dstOffset, int length) {
    BlockFrame r = call(new BlockFrame.Read(ids.incrementAndGet(), offset, length));
    if (!(r instanceof BlockFrame.Data d) || d.data().length != length) {
      throw new CorruptStreamException("reply to READ of " + length + " bytes is " + describe(r));
    }
    System.arraycopy(d.data(), 0, dst, dstOffset, length);
  }

  /** Writes {@code length} bytes at {@code offset}; returns once the mirror wrote them locally. */
  public void write(long offset, byte[] src, int srcOffset, int length) {
    done(call(writeFrame(offset, src, srcOffset, length)));
  }

  /**
   * Sends a write without waiting: the future completes with its reply (or a typed error).
   * Pipelined writes are applied in the order they were sent.
   */
  public CompletableFuture<Void> writeAsync(long offset, byte[] src, int srcOffset, int length) {
    return submit(writeFrame(offset, src, srcOffset, length))
        .thenApply(
            r -> {
              done(r);
              return null;
            });
  }

  private BlockFrame.Write writeFrame(long offset, byte[] src, int srcOffset, int length) {
    byte[] data =
        srcOffset == 0 && length == src.length
            ? src
            : Arrays.copyOfRange(src, srcOffset, srcOffset + length);
    return new BlockFrame.Write(ids.incrementAndGet(), offset, data);
  }

  /** Makes completed writes durable as the mirror's flush policy says. */
  public void flush() {
    done(call(new BlockFrame.Flush(ids.incrementAndGet())));
  }

  /** Marks disk barrier {@code n} (primary). */
  public void barrier(long n) {
    done(call(new BlockFrame.Barrier(ids.incrementAndGet(), n)));
  }

  /**
   * Commits barrier {@code n} (secondary): the primary's writes up to it enter the image, the
   * overlay is discarded. Waits (on the mirror) for the barrier to arrive from the primary.
   *
   * @return the committed barrier
   */
  public long commit(long n) {
    return done(call(new BlockFrame.Commit(ids.incrementAndGet(), n)));
  }

  /**
   * Promotes the secondary's volume to primary in {@code newEpoch}: the primary's uncommitted
   * writes are discarded, the overlay enters the image. This attachment moves to the new epoch.
   */
  public void failover(long newEpoch) {
    done(call(new BlockFrame.Failover(ids.incrementAndGet(), newEpoch)));
    epoch = newEpoch;
  }

  // ---- BlockPipe: requests sent without waiting ------------------------------------------------

  @Override
  public long queueWrite(long offset, byte[] data) {
    return queueWrite(offset, data, data.length);
  }

  /**
   * Encodes the write from {@code data} itself into the send buffer (or, for a write larger than
   * the buffer's room, onto the socket with the buffered frames before it: one system call on the
   * Unix-domain socket, {@link GatheringOutput}); {@code data} is not kept.
   */
  @Override
  public long queueWrite(long offset, byte[] data, int length) {
    if (broken != null) {
      return ids.incrementAndGet(); // never answered: the caller sees the pipe broken
    }
    try {
      synchronized (this) {
        long id = ids.incrementAndGet(); // numbered in the order sent
        encoder.writeWrite(id, offset, data, length, out);
        return id;
      }
    } catch (IOException e) {
      fail(new MirrorUnavailableException("lost the connection to the mirror: " + e, e));
      return ids.get();
    }
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
  public boolean awaitAnswered(long n, long nanos) throws InterruptedException {
    if (answeredUpTo >= n) {
      return true;
    }
    long deadline = System.nanoTime() + nanos;
    synchronized (answered) {
      answerWaiters++;
      try {
        while (answeredUpTo < n && broken == null) {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            break;
          }
          TimeUnit.NANOSECONDS.timedWait(answered, left);
        }
        return answeredUpTo >= n;
      } finally {
        answerWaiters--;
      }
    }
  }

  @Override
  public CompletableFuture<byte[]> sendRead(long offset, int length) {
    return submit(new BlockFrame.Read(ids.incrementAndGet(), offset, length), true)
        .thenApply(
            r -> {
              if (!(r instanceof BlockFrame.Data d) || d.data().length != length) {
                throw new CorruptStreamException(
                    "reply to READ of " + length + " bytes is " + describe(r));
              }
              return d.data();
            });
  }

  @Override
  public CompletableFuture<Long> sendFlush() {
    return submit(new BlockFrame.Flush(ids.incrementAndGet()), true).thenApply(BlockClient::done);
  }

  @Override
  public CompletableFuture<Long> sendBarrier(long n) {
    return submit(new BlockFrame.Barrier(ids.incrementAndGet(), n), true)
        .thenApply(BlockClient::done);
  }

  @Override
  public CompletableFuture<Long> sendCommit(long n) {
    return submit(new BlockFrame.Commit(ids.incrementAndGet(), n), true)
        .thenApply(BlockClient::done);
  }

  @Override
  public CompletableFuture<Long> sendFailover(long newEpoch) {
    return submit(new BlockFrame.Failover(ids.incrementAndGet(), newEpoch), true)
        .thenApply(
            r -> {
              long e = done(r);
              epoch = newEpoch;
              return e;
            });
  }

  /** Sends whatever requests wait in the send buffer. */
  @Override
  public void push() {
    if (broken != null) {
      return;
    }
    try {
      synchronized (this) {
        out.flush();
        lastSentNanos = System.nanoTime();
      }
    } catch (IOException e) {
      fail(new MirrorUnavailableException("lost the connection to the mirror: " + e, e));
    }
  }

  // ---- plumbing -------------------------------------------------------------------------------

  private BlockFrame call(BlockFrame.Request request) {
    CompletableFuture<BlockFrame> f = submit(request);
    try {
      return f.get(options.requestTimeout().toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      pending.remove(request.id());
      throw new MirrorTimeoutException(
          "no reply from the mirror within "
              + options.requestTimeout()
              + " to "
              + request.getClass().getSimpleName()
              + " on volume "
              + volume);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      pending.remove(request.id());
      throw new MirrorUnavailableException("interrupted while waiting for the mirror", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof ColoException c) {
        throw c;
      }
      throw new MirrorUnavailableException("mirror request failed: " + e.getCause(), e);
    }
  }

  private CompletableFuture<BlockFrame> submit(BlockFrame.Request request) {
    return submit(request, true);
  }

  private CompletableFuture<BlockFrame> submit(BlockFrame.Request request, boolean push) {
    CompletableFuture<BlockFrame> f = new CompletableFuture<>();
    ColoException b = broken;
    if (b != null) {
      f.completeExceptionally(b);
      return f;
    }
    pending.put(request.id(), f);
    try {
      send(request, push);
    } catch (IOException e) {
      fail(new MirrorUnavailableException("lost the connection to the mirror: " + e, e));
    }
    if (broken != null) {
      f.completeExceptionally(broken);
    }
    return f;
  }

  private synchronized void send(BlockFrame frame) throws IOException {
    send(frame, true);
  }

  private synchronized void send(BlockFrame frame, boolean push) throws IOException {
    encoder.write(frame, out);
    if (push) {
      out.flush();
      lastSentNanos = System.nanoTime();
    }
  }

  private static long done(BlockFrame reply) {
    if (reply instanceof BlockFrame.Done d) {
      return d.value();
    }
    throw new CorruptStreamException("unexpected reply " + describe(reply));
  }

  private static String describe(BlockFrame f) {
    return f == null ? "none" : f.getClass().getSimpleName();
  }

  private void readReplies(FrameInput in) {
    BlockFrameCodec decoder = new BlockFrameCodec();
    try {
      while (true) {
        BlockFrame f = decoder.read(in);
        lastReceivedNanos = System.nanoTime();
        switch (f) {
          case null -> {
            fail(new MirrorUnavailableException("the mirror ended the stream of " + volume));
            return;
          }
          case BlockFrame.Data d -> complete(d.id(), d);
          case BlockFrame.Done d -> complete(d.id(), d);
          case BlockFrame.Fail fa -> {
            ColoException error = BlockErrors.fromWire(fa.type(), fa.message(), fa.details());
            CompletableFuture<BlockFrame> p = pending.isEmpty() ? null : pending.remove(fa.id());
            if (p == null && writeRefusal == null) {
              writeRefusal = error; // a queued write (or a request given up on)
            }
            answered(fa.id());
            if (p != null) {
              p.completeExceptionally(error);
            }
          }
          case BlockFrame.Heartbeat h -> {
            // the mirror is alive
          }
          case BlockFrame.Error e -> {
            fail(BlockErrors.fromWire(e.type(), e.message(), e.details()));
            return;
          }
          case BlockFrame.End e -> {
            fail(new MirrorUnavailableException("the mirror closed the stream of " + volume));
            return;
          }
          default -> throw new CorruptStreamException("unexpected frame " + describe(f));
        }
      }
    } catch (IOException e) {
      fail(new MirrorUnavailableException("lost the connection to the mirror: " + e, e));
    } catch (ColoException e) {
      fail(e);
    }
  }

  private void complete(long id, BlockFrame reply) {
    // a queued write has no entry: no map work per write while no other request is in flight
    CompletableFuture<BlockFrame> p = pending.isEmpty() ? null : pending.remove(id);
    answered(id);
    if (p != null) {
      p.complete(reply);
    }
  }

  private void answered(long id) {
    answeredUpTo = id;
    if (answerWaiters > 0) {
      synchronized (answered) {
        answered.notifyAll();
      }
    }
  }

  private void fail(ColoException cause) {
    if (broken == null) {
      broken = cause;
    }
    heartbeat.cancel(false);
    close(connection);
    synchronized (answered) {
      answered.notifyAll();
    }
    for (Long id : pending.keySet()) {
      CompletableFuture<BlockFrame> p = pending.remove(id);
      if (p != null) {
        p.completeExceptionally(broken);
      }
    }
  }

  private void heartbeat() {
    if (broken != null) {
      return;
    }
    long silent = System.nanoTime() - lastReceivedNanos;
    if (silent > options.streamTimeout().toNanos()) {
      // the HTTP socket has a read timeout; a Unix-domain socket has none
      fail(
          new MirrorUnavailableException(
              "no frame from the mirror within " + options.streamTimeout() + " on " + volume));
      return;
    }
    long idle = System.nanoTime() - lastSentNanos;
    if (idle >= options.heartbeatInterval().toNanos()) {
      try {
        send(new BlockFrame.Heartbeat(epoch));
      } catch (IOException e) {
        fail(new MirrorUnavailableException("lost the connection to the mirror: " + e, e));
      }
    }
  }

  /** Ends the stream cleanly (requests still in flight fail). */
  @Override
  public void close() {
    if (broken == null) {
      try {
        send(new BlockFrame.End());
        body.close();
      } catch (IOException | RuntimeException e) {
        // closing anyway
      }
    }
    fail(new MirrorUnavailableException("the client closed the stream of " + volume));
  }
}
