package dev.coloha.proxy.ingress;

import dev.coloha.proxy.compare.Chunk;
import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Iterator;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One client's TCP connection, a non-blocking socket of its group's {@link ClientLoop}: the loop
 * reads it (client bytes to the group, not while its gate or the group's gate is closed); released
 * output is written, in order, by the thread that releases it, without blocking, and what the
 * socket does not take waits in the connection's queue for the loop to write it once the socket is
 * writable. Nothing is dropped: a slow client closes its own gate instead.
 */
public final class ClientConnection implements ClientActivity {
  private final int id;
  private final SocketChannel socket;
  private final ClientEvents events;
  private final ClientLoop loop;
  private final Gate gate = new Gate();
  private final Gate groupGate;
  private final long clientBuffer;
  private volatile SelectionKey key;
  private long pausedAt;

  /** Guards the input side (offset, retention, what was sent to which agent). */
  public final ReentrantLock inputLock = new ReentrantLock();

  private final InputRetention retention;
  private long inputOffset;
  private volatile boolean inputClosed;
  private volatile long inputClosedAt;
  private volatile long lastOutputAt;
  private volatile long lastInputAt;
  private final long acceptedAt;

  /** Serial of the secondary link this connection's input goes to (under {@link #inputLock}). */
  public long fedSecondary = -1;

  /** Whether CLOSE was sent to the agents (under {@link #inputLock}). */
  public boolean closeSent;

  /** Guards the output side: the queue, its counts, and every write to the socket. */
  private final ReentrantLock outLock = new ReentrantLock();

  private final ArrayDeque<Chunk> out = new ArrayDeque<>();

  /** Bytes of the queue's first chunk already written. */
  private int headWritten;

  private long queued;
  private long written;
  private boolean closeAfterOutput;

  /** Whether the socket did not take everything: the loop writes the rest once it is writable. */
  private boolean awaitingWritable;

  private volatile boolean over;

  /**
   * @param socket the accepted client socket (made non-blocking when the loop takes it)
   * @param loop the group's client loop, which reads the connection once {@link #start()}ed
   */
  public ClientConnection(
      int id,
      SocketChannel socket,
      ClientEvents events,
      ClientLoop loop,
      Gate groupGate,
      long clientBuffer) {
    this.id = id;
    this.socket = socket;
    this.events = events;
    this.loop = loop;
    this.groupGate = groupGate;
    this.clientBuffer = clientBuffer;
    this.retention = new InputRetention(id);
    this.acceptedAt = System.nanoTime();
    this.lastOutputAt = acceptedAt;
    this.lastInputAt = acceptedAt;
  }

  /** When the proxy accepted the connection (System.nanoTime). */
  public long acceptedAt() {
    return acceptedAt;
  }

  /** When a byte was last read from the client, or written or queued to it (System.nanoTime). */
  public long lastActivityAt() {
    return Math.max(lastInputAt, lastOutputAt);
  }

  /**
   * Whether the client has received the first byte of a reply: for a byte-stream proxy this is what
   * "its first request is complete" means (the guest answered it). A connection that sent nothing
   * yet, or only part of a request, is unanswered.
   */
  public boolean answered() {
    outLock.lock();
    try {
      return written > 0;
    } finally {
      outLock.unlock();
    }
  }

  public int id() {
    return id;
  }

  public Gate gate() {
    return gate;
  }

  public InputRetention retention() {
    return retention;
  }

  /** Next input offset (guarded by {@link #inputLock}). */
  public long inputOffset() {
    return inputOffset;
  }

  public void advanceInput(long n) {
    inputOffset += n;
  }

  public boolean inputClosed() {
    return inputClosed;
  }

  public long inputClosedAt() {
    return inputClosedAt;
  }

  public long lastOutputAt() {
    return lastOutputAt;
  }

  public boolean over() {
    return over;
  }

  public String remote() {
    return String.valueOf(socket.socket().getRemoteSocketAddress());
  }

  /** The group's client loop reads the connection from its next round on. */
  public void start() {
    gate.onOpen(loop::wakeup);
    loop.join(this);
  }

  // ---- input (on the loop's thread) ----------------------------------------------------------

  /** On the loop: the socket becomes non-blocking and is read (and written when it must be). */
  void register(Selector selector) throws IOException {
    socket.configureBlocking(false);
    outLock.lock();
    try {
      if (over) {
        return;
      }
      key =
          socket.register(
              selector,
              SelectionKey.OP_READ | (awaitingWritable ? SelectionKey.OP_WRITE : 0),
              this);
    } finally {
      outLock.unlock();
    }
  }

  boolean gatesOpen() {
    return gate.isOpen() && groupGate.isOpen();
  }

  /**
   * The socket has bytes (or its end): one read of at most the buffer's size goes to the group,
   * unless a gate is closed (then the connection is not read until it opens).
   */
  ClientLoop.Read readReady(ByteBuffer buffer) {
    if (!gatesOpen()) {
      key.interestOpsAnd(~SelectionKey.OP_READ);
      pausedAt = System.nanoTime();
      return ClientLoop.Read.PAUSED;
    }
    buffer.clear();
    int n;
    try {
      n = socket.read(buffer);
    } catch (IOException e) {
      finish("read: " + e.getMessage());
      return ClientLoop.Read.NOTHING;
    }
    if (n < 0) {
      key.interestOpsAnd(~SelectionKey.OP_READ);
      inputClosedAt = System.nanoTime();
      inputClosed = true;
      events.inputClosed(this);
      return ClientLoop.Read.NOTHING;
    }
    if (n == 0) {
      return ClientLoop.Read.NOTHING;
    }
    lastInputAt = System.nanoTime();
    byte[] bytes = new byte[n];
    buffer.flip().get(bytes);
    events.input(this, bytes);
    return ClientLoop.Read.READ;
  }

  /** The gates opened again: the connection is read again. */
  void resume(long now) {
    SelectionKey k = key;
    if (k != null && !inputClosed) {
      try {
        k.interestOpsOr(SelectionKey.OP_READ);
      } catch (CancelledKeyException e) {
        return; // finished meanwhile by another thread
      }
    }
    events.pausedFor(this, now - pausedAt);
  }

  // ---- output ---------------------------------------------------------------------------------

  /**
   * Queues released bytes for the client and writes what the socket takes now (never blocks: the
   * rest waits for the loop to find the socket writable).
   */
  public void send(Chunk c) {
    String failed;
    outLock.lock();
    try {
      if (over || closeAfterOutput) {
        return;
      }
      out.add(c);
      queued += c.remaining();
      lastOutputAt = System.nanoTime();
      failed = awaitingWritable ? null : writeQueued();
      if (queued > clientBuffer) {
        gate.close(Gate.Reason.CLIENT_SLOW);
      }
    } finally {
      outLock.unlock();
    }
    if (failed != null) {
      loop.finishLater(this, "write: " + failed); // the caller may hold the comparator's locks
    }
  }

  /** The socket is writable again (on the loop): the queue's rest goes out. */
  void writeReady() {
    String failed;
    boolean done;
    outLock.lock();
    try {
      if (over) {
        return;
      }
      failed = writeQueued();
      done = failed == null && closeAfterOutput && out.isEmpty();
    } finally {
      outLock.unlock();
    }
    if (failed != null) {
      finish("write: " + failed);
    } else if (done) {
      finish("closed by the guest");
    }
  }

  private final ByteBuffer[] gather = new ByteBuffer[16];

  /**
   * Writes the queue in order (up to 16 chunks a call) until it is empty or the socket takes no
   * more; then the loop is asked to write the rest when the socket is writable (under {@link
   * #outLock}).
   *
   * @return null, or why the write failed
   */
  private String writeQueued() {
    try {
      while (!out.isEmpty()) {
        int n = 0;
        Iterator<Chunk> it = out.iterator();
        while (it.hasNext() && n < gather.length) {
          Chunk c = it.next();
          int skip = n == 0 ? headWritten : 0;
          gather[n++] = ByteBuffer.wrap(c.array(), c.from() + skip, c.remaining() - skip);
        }
        long w = socket.write(gather, 0, n);
        queued -= w;
        written += w;
        boolean full = false;
        for (int i = 0; i < n; i++) {
          if (gather[i].hasRemaining()) {
            headWritten = gather[i].position() - out.peek().from();
            full = true;
            break;
          }
          out.poll();
          headWritten = 0;
        }
        Arrays.fill(gather, 0, n, null);
        if (full) {
          break;
        }
      }
    } catch (IOException e) {
      return e.getMessage();
    }
    if (queued <= clientBuffer / 2) {
      gate.open(Gate.Reason.CLIENT_SLOW);
    }
    boolean rest = !out.isEmpty();
    if (rest != awaitingWritable) {
      awaitingWritable = rest;
      SelectionKey k = key;
      if (k != null) {
        try {
          if (rest) {
            k.interestOpsOr(SelectionKey.OP_WRITE);
            loop.wakeup();
          } else {
            k.interestOpsAnd(~SelectionKey.OP_WRITE);
          }
        } catch (CancelledKeyException e) {
          return "closed"; // finished meanwhile by another thread
        }
      }
    }
    return null;
  }

  /** Marks output activity for this connection (used for the linger after the client closed). */
  public void touched() {
    lastOutputAt = System.nanoTime();
  }

  /**
   * Closes the socket once everything queued is written (the guest closed the connection): at once
   * if nothing is queued, on the loop's thread (the caller may hold the comparator's locks).
   */
  public void closeAfterOutput() {
    boolean done;
    outLock.lock();
    try {
      closeAfterOutput = true;
      done = !over && out.isEmpty();
    } finally {
      outLock.unlock();
    }
    if (done) {
      loop.finishLater(this, "closed by the guest");
    }
  }

  /** Bytes queued for the client and not yet written. */
  public long unsent() {
    outLock.lock();
    try {
      return queued;
    } finally {
      outLock.unlock();
    }
  }

  public long written() {
    outLock.lock();
    try {
      return written;
    } finally {
      outLock.unlock();
    }
  }

  // ---- the end --------------------------------------------------------------------------------

  /** Resets the connection (TCP RST): it cannot go on without a gap or a duplicate. */
  public void reset() {
    try {
      socket.setOption(StandardSocketOptions.SO_LINGER, 0);
    } catch (IOException ignored) {
      // closing anyway
    }
    finish("reset");
  }

  /** Closes the socket now; the group hears of it once. */
  public void finish(String why) {
    outLock.lock();
    try {
      if (over) {
        return;
      }
      over = true;
      out.clear();
      queued = 0;
      headWritten = 0;
    } finally {
      outLock.unlock();
    }
    try {
      socket.close();
    } catch (IOException ignored) {
      // already closed
    }
    loop.wakeup(); // a registered socket is closed for good by the loop's next select
    gate.open(Gate.Reason.CLIENT_SLOW);
    gate.open(Gate.Reason.HELD);
    gate.open(Gate.Reason.RETAINED);
    events.gone(this, why);
  }
}
