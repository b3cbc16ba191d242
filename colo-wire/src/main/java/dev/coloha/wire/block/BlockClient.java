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
 * <p>Who reads the replies is the {@link ReadTurn}'s: on the HTTP stream, the client's reply
 * thread, always. On the Unix-domain socket, the stream's reader changes hands (leader and
 * followers): a caller that waits for a reply while no other thread reads the socket reads it
 * itself (after polling it for {@link Options#replyPoll}), dispatching the replies of other
 * requests on the way, until its own has come; the reply thread reads only while replies are
 * awaited and no caller reads (writes pushed without a wait, heartbeats), and no one reads while
 * nothing is awaited (issue 18). Before a request goes out on an idle socket, {@link #probe()}
 * checks without blocking that the mirror has not ended the stream meanwhile, as the reading reply
 * thread would have noticed at once.
 *
 * <p>Every failure is a typed {@link ColoException}: the mirror's own (stale epoch, sector range,
 * limits, volume state, barrier order...) rebuilt from its FAIL frame, {@link
 * MirrorTimeoutException} when no reply came in time, {@link MirrorUnavailableException} once the
 * connection is gone (the client is then broken for good: open a new one).
 *
 * <p>Over 400 lines on purpose: both transports, the pipelining and the matching of replies share
 * one connection state (pending requests by id, replies awaited, the send buffer, broken for good);
 * the frames are BlockFrame's, the turn to read ReadTurn's.
 */
public final class BlockClient implements BlockPipe {
  // an idle socket is probed before a request when its last reply is older than this
  private static final long PROBE_AFTER_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
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
   * @param replyPoll on the Unix-domain socket, how long a caller waiting for the reply to its
   *     read, flush, barrier, commit or failover looks at the socket without sleeping (yielding its
   *     CPU to any runnable thread between looks) before it sleeps in a blocking read; 0: it sleeps
   *     at once. A sleeping caller is woken by the reply's arrival, which on an idle CPU of a
   *     virtual machine costs tens of µs (issue 18: an {@code appendfsync always} command waits for
   *     one flush)
   */
  public record Options(
      Duration connectTimeout,
      Duration requestTimeout,
      Duration heartbeatInterval,
      Duration streamTimeout,
      int maxFrame,
      Map<String, String> headers,
      Duration replyPoll) {
    /** The default {@link #replyPoll}: about two round trips of a virtual disk's flush. */
    public static final Duration DEFAULT_REPLY_POLL = Duration.ofNanos(250_000);

    public Options {
      headers = Map.copyOf(headers);
      if (heartbeatInterval.isZero() || heartbeatInterval.isNegative()) {
        throw new IllegalArgumentException("heartbeat interval must be positive");
      }
      if (replyPoll.isNegative()) {
        throw new IllegalArgumentException("reply poll must not be negative");
      }
    }

    /** Options with the default {@link #replyPoll}. */
    public Options(
        Duration connectTimeout,
        Duration requestTimeout,
        Duration heartbeatInterval,
        Duration streamTimeout,
        int maxFrame,
        Map<String, String> headers) {
      this(
          connectTimeout,
          requestTimeout,
          heartbeatInterval,
          streamTimeout,
          maxFrame,
          headers,
          DEFAULT_REPLY_POLL);
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
          connectTimeout, timeout, heartbeatInterval, streamTimeout, maxFrame, headers, replyPoll);
    }

    public Options withReplyPoll(Duration poll) {
      return new Options(
          connectTimeout,
          requestTimeout,
          heartbeatInterval,
          streamTimeout,
          maxFrame,
          headers,
          poll);
    }
  }

  private final String volume;
  private final OutputStream body;
  private final AutoCloseable connection;
  private final FrameOutput out;
  private final BlockFrameCodec encoder = new BlockFrameCodec();
  private final Options options;
  private final Map<Long, CompletableFuture<BlockFrame>> pending = new ConcurrentHashMap<>();
  private final FrameInput in;
  private final BlockFrameCodec decoder = new BlockFrameCodec(); // used by the reader only
  // the Unix-domain socket's input (the HTTP stream's reply thread reads it all the time)
  private final ChannelInput channelInput;
  private final boolean callersRead;
  // replies awaited: one per request, queued write and heartbeat sent, less one per reply read
  private final AtomicLong awaiting = new AtomicLong();
  private final ReadTurn readTurn; // who reads the stream
  private volatile long lastReplyNanos = System.nanoTime();
  private final AtomicLong ids = new AtomicLong();
  // replies come in request order: the last one's id says every request up to it was answered
  private volatile long answeredUpTo;
  private volatile ColoException writeRefusal; // the first queued write the mirror refused
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
      ChannelInput channelInput,
      BlockFrame.Hello hello,
      Options options) {
    this.volume = volume;
    this.in = in;
    this.channelInput = channelInput;
    this.callersRead = channelInput != null;
    this.body = body;
    this.connection = connection;
    this.out = FrameOutput.unchecked(body); // block frames carry no checksum
    this.options = options;
    this.readTurn =
        new ReadTurn(
            new ReadTurn.Stream() {
              @Override
              public boolean readOne() {
                return BlockClient.this.readOne();
              }

              @Override
              public boolean isBroken() {
                return broken != null;
              }

              @Override
              public boolean buffered() {
                return channelInput.available() > 0;
              }

              @Override
              public int look() throws IOException {
                return BlockClient.this.look();
              }
            },
            callersRead,
            options.replyPoll().toNanos(),
            awaiting);
    this.epoch = hello.epoch();
    this.sizeBytes = hello.sizeBytes();
    this.role = hello.role();
    this.maxRequest = hello.maxRequest();
    long every = options.heartbeatInterval().toMillis();
    this.heartbeat =
        HEARTBEATS.scheduleWithFixedDelay(this::heartbeat, every, every, TimeUnit.MILLISECONDS);
    // a platform thread: it blocks in the socket read itself, one scheduler hop less per reply
    Thread.ofPlatform().daemon().name("block-client-" + volume).start(this::readReplies);
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
      return new BlockClient(volume, s.body(), s, in, null, hello, options);
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
      ChannelInput replies = new ChannelInput(ch, 1 << 16);
      FrameInput in = FrameInput.unchecked(replies, options.maxFrame());
      BlockFrame first = codec.read(in);
      switch (first) {
        case BlockFrame.Hello hello -> {
          return new BlockClient(volume, body, ch, in, replies, hello, options);
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
      long id;
      boolean sent;
      synchronized (this) {
        id = ids.incrementAndGet(); // numbered in the order sent
        awaiting.incrementAndGet();
        encoder.writeWrite(id, offset, data, length, out);
        // a write larger than the buffer's room went onto the socket with the frames before it:
        // their replies will come, someone must read them
        sent = body instanceof GatheringOutput g && g.sentSince();
      }
      if (sent) {
        readTurn.wakeReader();
      }
      return id;
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
    push(); // it may still be in the send buffer
    return readTurn.await(() -> answeredUpTo >= n, n, nanos);
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
    readTurn.wakeReader(); // nobody waits for these replies: the reply thread reads them
  }

  /**
   * On the Unix-domain socket, when nothing is awaited and no thread reads: checks, without
   * blocking, whether the mirror ended the stream (or sent a frame) since the last reply, so that a
   * stream that broke while idle is known broken ({@link #isBroken()}) before requests are sent on
   * it. The reply thread, which reads the HTTP stream all the time, notices that at once there.
   */
  @Override
  public void probe() {
    if (!callersRead
        || broken != null
        || awaiting.get() > 0
        || System.nanoTime() - lastReplyNanos < PROBE_AFTER_NANOS) {
      return; // read or answered just now: a stream that ended since is a race as with a reader
    }
    if (!readTurn.tryTake()) {
      return;
    }
    try {
      int ready = look();
      if (ready < 0) {
        fail(new MirrorUnavailableException("the mirror ended the stream of " + volume));
        return;
      }
      while (broken == null && channelInput.available() > 0) {
        readOne(); // a frame the mirror sent unasked (END, ERROR) or a late heartbeat's reply
      }
    } catch (IOException e) {
      fail(new MirrorUnavailableException("lost the connection to the mirror: " + e, e));
    } finally {
      readTurn.passTurn();
    }
  }

  // ---- plumbing -------------------------------------------------------------------------------

  /** Looks at the Unix-domain socket without blocking; no write while it is non-blocking. */
  private synchronized int look() throws IOException {
    return channelInput.probe();
  }

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
    CompletableFuture<BlockFrame> f = new Reply<>();
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
    if (!(frame instanceof BlockFrame.End)) {
      awaiting.incrementAndGet(); // a request or a heartbeat: the mirror answers each
    }
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

  /**
   * A future whose {@code get} waits for the reply by reading the stream itself while no other
   * thread reads it ({@link ReadTurn#await}); what is derived from it ({@code thenApply}...) is one
   * too.
   */
  private final class Reply<T> extends CompletableFuture<T> {
    @Override
    public <U> CompletableFuture<U> newIncompleteFuture() {
      return new Reply<>();
    }

    @Override
    public T get() throws InterruptedException, ExecutionException {
      awaitReply(Long.MAX_VALUE);
      return super.get();
    }

    @Override
    public T get(long timeout, TimeUnit unit)
        throws InterruptedException, ExecutionException, TimeoutException {
      if (!awaitReply(unit.toNanos(timeout))) {
        throw new TimeoutException();
      }
      return super.get();
    }

    @Override
    public T join() {
      try {
        awaitReply(Long.MAX_VALUE);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return super.join();
    }

    private boolean awaitReply(long nanos) throws InterruptedException {
      if (!readTurn.await(this::isDone, Long.MAX_VALUE, nanos)) {
        ColoException b = broken;
        if (b == null) {
          return false;
        }
        completeExceptionally(b); // broken while its request was pending: failed with it
      }
      return true;
    }
  }

  /** The reply thread: see {@link ReadTurn#runReplyThread}. */
  private void readReplies() {
    try {
      readTurn.runReplyThread(Math.max(1, options.heartbeatInterval().toMillis()));
    } catch (InterruptedException e) {
      fail(new MirrorUnavailableException("the reply thread of " + volume + " was interrupted"));
    }
  }

  /**
   * Reads and dispatches one frame (by the thread holding the turn).
   *
   * @return false if the stream ended or failed (the client is broken)
   */
  private boolean readOne() {
    try {
      BlockFrame f = decoder.read(in);
      long now = System.nanoTime();
      lastReceivedNanos = now;
      lastReplyNanos = now;
      boolean wake = false;
      switch (f) {
        case null -> {
          fail(new MirrorUnavailableException("the mirror ended the stream of " + volume));
          return false;
        }
        case BlockFrame.Data d -> wake = complete(d.id(), d);
        case BlockFrame.Done d -> wake = complete(d.id(), d);
        case BlockFrame.Fail fa -> {
          awaiting.decrementAndGet();
          ColoException error = BlockErrors.fromWire(fa.type(), fa.message(), fa.details());
          CompletableFuture<BlockFrame> p = pending.isEmpty() ? null : pending.remove(fa.id());
          if (p == null && writeRefusal == null) {
            writeRefusal = error; // a queued write (or a request given up on)
          }
          answered(fa.id());
          if (p != null) {
            p.completeExceptionally(error);
          }
          wake = true;
        }
        case BlockFrame.Heartbeat h -> awaiting.decrementAndGet(); // the mirror is alive
        case BlockFrame.Error e -> {
          fail(BlockErrors.fromWire(e.type(), e.message(), e.details()));
          return false;
        }
        case BlockFrame.End e -> {
          fail(new MirrorUnavailableException("the mirror closed the stream of " + volume));
          return false;
        }
        default -> throw new CorruptStreamException("unexpected frame " + describe(f));
      }
      readTurn.replyRead(wake, answeredUpTo); // a waiting caller's reply, or its answer
      return true;
    } catch (IOException e) {
      fail(new MirrorUnavailableException("lost the connection to the mirror: " + e, e));
      return false;
    } catch (ColoException e) {
      fail(e);
      return false;
    }
  }

  /** Replies read by a waiting caller itself rather than the reply thread (for tests). */
  long repliesReadByCallers() {
    return readTurn.repliesReadByCallers();
  }

  /** Replies awaited: requests, queued writes and heartbeats sent and not answered (for tests). */
  long repliesAwaited() {
    return awaiting.get();
  }

  /** Times a waiting caller's polling found its reply's bytes ready, before a blocking read. */
  long repliesPolled() {
    return readTurn.repliesPolled();
  }

  /** Whether the reply thread waits to be woken (for tests): see {@link ReadTurn}. */
  boolean replyThreadParked() {
    return readTurn.replyThreadParked();
  }

  /** Completes the request's future; whether it had one (a queued write has none). */
  private boolean complete(long id, BlockFrame reply) {
    awaiting.decrementAndGet();
    // a queued write has no entry: no map work per write while no other request is in flight
    CompletableFuture<BlockFrame> p = pending.isEmpty() ? null : pending.remove(id);
    answered(id);
    if (p != null) {
      p.complete(reply);
      return true;
    }
    return false;
  }

  private void answered(long id) {
    answeredUpTo = id;
  }

  private void fail(ColoException cause) {
    if (broken == null) {
      broken = cause;
    }
    heartbeat.cancel(false);
    close(connection);
    for (Long id : pending.keySet()) {
      CompletableFuture<BlockFrame> p = pending.remove(id);
      if (p != null) {
        p.completeExceptionally(broken);
      }
    }
    readTurn.broken();
  }

  private void heartbeat() {
    if (broken != null) {
      return;
    }
    long now = System.nanoTime();
    if (awaiting.get() == 0) {
      lastReceivedNanos = now; // nothing awaited: no one reads, and silence is no failure
    }
    if (readTurn.readerOverdue(now)) {
      // a caller reading the socket for its reply cannot stop waiting by itself: the stream breaks
      fail(
          new MirrorTimeoutException(
              "no reply from the mirror in time to the request of a caller reading the stream of "
                  + volume));
      return;
    }
    long silent = now - lastReceivedNanos;
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
      readTurn.wakeReader(); // its reply: nobody else may be reading
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
