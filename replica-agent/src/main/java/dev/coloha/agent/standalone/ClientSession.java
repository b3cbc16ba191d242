package dev.coloha.agent.standalone;

import dev.coloha.microvm.MicroVm;
import dev.coloha.microvm.conn.InputEvent;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.Arrays;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client of a standalone VM: a reader that turns socket bytes into VM input (stopping when the
 * guest falls behind) and a writer that sends the guest's output (holding the guest's input for
 * this client when the client stops reading). Nothing is ever dropped: both directions use
 * backpressure.
 */
final class ClientSession {
  private static final Logger log = LoggerFactory.getLogger(ClientSession.class);
  private static final byte[] CLOSE = new byte[0];
  private static final byte[] END = new byte[0];

  private final int conn;
  private final Socket socket;
  private final MicroVm vm;
  private final StandaloneLimits limits;
  private final Runnable onDone;
  private final LinkedBlockingQueue<byte[]> outbox = new LinkedBlockingQueue<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition credit = lock.newCondition();
  private long sent;
  private long consumed;
  private long queuedOutput;
  private boolean held;
  private boolean readerDone;
  private boolean writerDone;

  ClientSession(int conn, Socket socket, MicroVm vm, StandaloneLimits limits, Runnable onDone) {
    this.conn = conn;
    this.socket = socket;
    this.vm = vm;
    this.limits = limits;
    this.onDone = onDone;
  }

  int conn() {
    return conn;
  }

  void start() {
    Thread.ofVirtual().name("client-" + conn + "-reader").start(this::readLoop);
    Thread.ofVirtual().name("client-" + conn + "-writer").start(this::writeLoop);
  }

  // ---- client -> guest ------------------------------------------------------------------------

  private void readLoop() {
    byte[] buf = new byte[limits.readBuffer()];
    try (InputStream in = socket.getInputStream()) {
      while (true) {
        awaitCredit();
        int n = in.read(buf);
        if (n < 0) {
          break;
        }
        vm.submit(new InputEvent.Data(conn, sent, Arrays.copyOf(buf, n)));
        lock.lock();
        try {
          sent += n;
        } finally {
          lock.unlock();
        }
      }
    } catch (IOException e) {
      log.debug("client {} read ended: {}", conn, e.getMessage());
    } catch (RuntimeException e) {
      log.warn("client {}: the VM refused input: {}", conn, e.getMessage());
    } finally {
      try {
        vm.submit(new InputEvent.Close(conn, sent));
      } catch (RuntimeException e) {
        outbox.add(CLOSE); // the VM is gone: nobody else will close this client
      }
      lock.lock();
      try {
        readerDone = true;
      } finally {
        lock.unlock();
      }
      finishIfDone();
    }
  }

  private void awaitCredit() throws IOException {
    lock.lock();
    try {
      while (sent - consumed > limits.inputHighWatermark()) {
        if (socket.isClosed()) {
          throw new IOException("closed");
        }
        credit.awaitUninterruptibly();
      }
    } finally {
      lock.unlock();
    }
  }

  /** The guest consumed input up to {@code offset}. */
  void consumed(long offset) {
    lock.lock();
    try {
      consumed = Math.max(consumed, offset);
      credit.signalAll();
    } finally {
      lock.unlock();
    }
  }

  // ---- guest -> client ------------------------------------------------------------------------

  void output(byte[] bytes) {
    boolean hold;
    lock.lock();
    try {
      queuedOutput += bytes.length;
      hold = !held && queuedOutput > limits.outputHighWatermark();
      if (hold) {
        held = true;
      }
    } finally {
      lock.unlock();
    }
    outbox.add(bytes);
    if (hold) {
      vm.holdInput(conn, true);
    }
  }

  /** The guest closed the connection: close the socket once its output is written. */
  void closeAfterOutput() {
    outbox.add(CLOSE);
  }

  /** The guest saw the client's close: nothing more will be written. */
  void ended() {
    outbox.add(END);
  }

  private void writeLoop() {
    try (OutputStream out = socket.getOutputStream()) {
      while (true) {
        byte[] b = outbox.take();
        if (b == CLOSE || b == END) {
          out.flush();
          break;
        }
        out.write(b);
        if (outbox.isEmpty()) {
          out.flush();
        }
        boolean release;
        lock.lock();
        try {
          queuedOutput -= b.length;
          release = held && queuedOutput <= limits.outputLowWatermark();
          if (release) {
            held = false;
          }
        } finally {
          lock.unlock();
        }
        if (release) {
          vm.holdInput(conn, false);
        }
      }
    } catch (IOException e) {
      log.debug("client {} write ended: {}", conn, e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      closeSocket();
      lock.lock();
      try {
        writerDone = true;
        credit.signalAll();
      } finally {
        lock.unlock();
      }
      finishIfDone();
    }
  }

  void closeSocket() {
    try {
      socket.close();
    } catch (IOException e) {
      log.debug("client {} close: {}", conn, e.getMessage());
    }
    lock.lock();
    try {
      credit.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Ends the session at once (VM crashed or listener closing). */
  void abort() {
    outbox.add(CLOSE);
    closeSocket();
  }

  private void finishIfDone() {
    boolean done;
    lock.lock();
    try {
      done = readerDone && writerDone;
    } finally {
      lock.unlock();
    }
    if (done) {
      onDone.run();
    }
  }
}
