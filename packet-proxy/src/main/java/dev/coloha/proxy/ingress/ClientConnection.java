package dev.coloha.proxy.ingress;

import dev.coloha.proxy.compare.Chunk;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One client's TCP connection: a reader (client bytes to the group, stopped while its gate or the
 * group's gate is closed) and a writer (released output to the client, in order). Both are virtual
 * threads. Nothing is dropped: a slow client closes its own gate instead.
 */
public final class ClientConnection implements ClientActivity {
  private final int id;
  private final Socket socket;
  private final ClientEvents events;
  private final Gate gate = new Gate();
  private final Gate groupGate;
  private final int readBuffer;
  private final long clientBuffer;

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

  private final ReentrantLock outLock = new ReentrantLock();
  private final Condition outReady = outLock.newCondition();
  private final ArrayDeque<Chunk> out = new ArrayDeque<>();
  private long queued;
  private long written;
  private boolean closeAfterOutput;
  private volatile boolean over;

  public ClientConnection(
      int id,
      Socket socket,
      ClientEvents events,
      Gate groupGate,
      int readBuffer,
      long clientBuffer) {
    this.id = id;
    this.socket = socket;
    this.events = events;
    this.groupGate = groupGate;
    this.readBuffer = readBuffer;
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
    return String.valueOf(socket.getRemoteSocketAddress());
  }

  public void start() {
    Thread.ofVirtual().name("client-" + id + "-in").start(this::readLoop);
    Thread.ofVirtual().name("client-" + id + "-out").start(this::writeLoop);
  }

  // ---- input ----------------------------------------------------------------------------------

  private void readLoop() {
    byte[] buf = new byte[readBuffer];
    try {
      InputStream in = socket.getInputStream();
      while (true) {
        waitForGates();
        int n = in.read(buf);
        if (n < 0) {
          inputClosedAt = System.nanoTime();
          inputClosed = true;
          events.inputClosed(this);
          return;
        }
        if (n > 0) {
          lastInputAt = System.nanoTime();
          events.input(this, Arrays.copyOf(buf, n));
        }
      }
    } catch (IOException e) {
      finish("read: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      finish("interrupted");
    }
  }

  private void waitForGates() throws InterruptedException {
    if (gate.isOpen() && groupGate.isOpen()) {
      return;
    }
    long t0 = System.nanoTime();
    while (!over && !(gate.await(TimeUnit.MILLISECONDS.toNanos(200)) && groupGate.isOpen())) {
      groupGate.await(TimeUnit.MILLISECONDS.toNanos(200));
    }
    events.pausedFor(this, System.nanoTime() - t0);
  }

  // ---- output ---------------------------------------------------------------------------------

  /** Queues released bytes for the client (never blocks). */
  public void send(Chunk c) {
    outLock.lock();
    try {
      if (over || closeAfterOutput) {
        return;
      }
      out.add(c);
      queued += c.remaining();
      lastOutputAt = System.nanoTime();
      if (queued > clientBuffer) {
        gate.close(Gate.Reason.CLIENT_SLOW);
      }
      outReady.signal();
    } finally {
      outLock.unlock();
    }
  }

  /** Marks output activity for this connection (used for the linger after the client closed). */
  public void touched() {
    lastOutputAt = System.nanoTime();
  }

  /** Closes the socket once everything queued is written (the guest closed the connection). */
  public void closeAfterOutput() {
    outLock.lock();
    try {
      closeAfterOutput = true;
      outReady.signal();
    } finally {
      outLock.unlock();
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

  private void writeLoop() {
    try {
      OutputStream os = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
      while (true) {
        Chunk c;
        outLock.lock();
        try {
          while (out.isEmpty() && !closeAfterOutput && !over) {
            outReady.await();
          }
          if (over) {
            return;
          }
          c = out.poll();
          if (c == null) {
            // closeAfterOutput and everything written
            os.flush();
            finish("closed by the guest");
            return;
          }
        } finally {
          outLock.unlock();
        }
        os.write(c.array(), c.from(), c.remaining());
        boolean idle;
        outLock.lock();
        try {
          queued -= c.remaining();
          written += c.remaining();
          idle = out.isEmpty();
          if (queued <= clientBuffer / 2) {
            gate.open(Gate.Reason.CLIENT_SLOW);
          }
        } finally {
          outLock.unlock();
        }
        if (idle) {
          os.flush();
        }
      }
    } catch (IOException e) {
      finish("write: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      finish("interrupted");
    }
  }

  // ---- the end --------------------------------------------------------------------------------

  /** Resets the connection (TCP RST): it cannot go on without a gap or a duplicate. */
  public void reset() {
    try {
      socket.setSoLinger(true, 0);
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
      outReady.signalAll();
    } finally {
      outLock.unlock();
    }
    try {
      socket.close();
    } catch (IOException ignored) {
      // already closed
    }
    gate.open(Gate.Reason.CLIENT_SLOW);
    gate.open(Gate.Reason.HELD);
    gate.open(Gate.Reason.RETAINED);
    events.gone(this, why);
  }
}
