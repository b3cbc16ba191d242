package dev.coloha.proxy.standby;

import dev.coloha.web.heartbeat.HeartbeatGate;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The warm standby of a proxy pair (docs/proxy.md "Warm standby"): both proxies of a host share a
 * lock file; the one holding an exclusive OS lock on it ({@code fcntl}, {@link FileChannel#lock()})
 * is the active one for its whole life, the other waits for the lock. The kernel releases the lock
 * the instant its holder dies, also on {@code kill -9}: the waiting proxy becomes active at once
 * and opens the {@link HeartbeatGate}, so it registers with the coordinator, which gives it the
 * groups as it does a restarted proxy. Without a lock file the proxy is active from the start.
 *
 * <p>The holder writes its URL into the file ({@link #advertise}); a proxy that takes the lock
 * reads the URL of the one it replaces first ({@link #replaced}) and says so with its heartbeats,
 * so that a coordinator that did not see the former holder beat (it was down meanwhile) moves the
 * groups too.
 */
public final class StandbyLock implements HeartbeatGate, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StandbyLock.class);

  private final Path file;
  private final Clock clock;
  private final CountDownLatch active = new CountDownLatch(1);
  private volatile Instant activeSince;
  private volatile FileChannel channel;
  private volatile FileLock lock;
  private volatile boolean closed;
  private volatile String replaced;
  private volatile String url;
  private Thread waiter;

  /**
   * @param file the lock file both proxies of the pair name; null for a proxy without a standby
   */
  public StandbyLock(Path file, Clock clock) {
    this.file = file;
    this.clock = clock;
  }

  /**
   * Opens the lock file (creating it and its directory: a file that cannot be opened fails the
   * start) and takes the lock, or waits for it in the background; without a file, active at once.
   */
  public synchronized void start() {
    if (file == null) {
      becomeActive();
      return;
    }
    if (channel != null) {
      return;
    }
    try {
      Path dir = file.toAbsolutePath().getParent();
      if (dir != null) {
        Files.createDirectories(dir);
      }
      channel =
          FileChannel.open(
              file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the standby lock file " + file, e);
    }
    FileLock now;
    try {
      now = channel.tryLock();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot lock the standby lock file " + file, e);
    }
    if (now != null) {
      lock = now;
      log.info("proxy ACTIVE: it holds the standby lock {}", file);
      becomeActive();
      return;
    }
    log.info("proxy STANDBY: another proxy holds the standby lock {}; waiting for it", file);
    // a platform thread: it blocks in fcntl(F_SETLKW) until the holder dies or lets go
    waiter = Thread.ofPlatform().daemon().name("standby-lock").start(this::awaitLock);
  }

  private void awaitLock() {
    try {
      lock = channel.lock();
      log.info("proxy ACTIVE: took over the standby lock {} (its holder is gone)", file);
      becomeActive();
    } catch (ClosedChannelException e) {
      // closed while waiting: the proxy stops
    } catch (IOException e) {
      if (!closed) {
        log.error("waiting for the standby lock {} failed: the proxy stays STANDBY", file, e);
      }
    }
  }

  private void becomeActive() {
    if (channel != null) {
      replaced = readHolder();
      writeHolder();
    }
    activeSince = clock.instant();
    active.countDown();
  }

  /** The URL the former holder wrote into the file, if any. */
  private String readHolder() {
    try {
      ByteBuffer b = ByteBuffer.allocate(4096);
      channel.read(b, 0);
      String s = new String(b.array(), 0, b.position(), StandardCharsets.UTF_8).strip();
      return s.isEmpty() ? null : s;
    } catch (IOException e) {
      log.warn("reading the standby lock file {} failed: {}", file, e.toString());
      return null;
    }
  }

  private synchronized void writeHolder() {
    String u = url;
    if (u == null || lock == null || !channel.isOpen()) {
      return;
    }
    try {
      channel.truncate(0);
      channel.write(ByteBuffer.wrap((u + "\n").getBytes(StandardCharsets.UTF_8)), 0);
    } catch (IOException e) {
      log.warn("writing the standby lock file {} failed: {}", file, e.toString());
    }
  }

  /**
   * This proxy's URL (what it beats with), written into the lock file while it holds the lock: the
   * proxy that takes over next says it replaces it.
   */
  public void advertise(String url) {
    this.url = url;
    if (active()) {
      writeHolder();
    }
  }

  /**
   * The URL of the proxy this one took the lock from (what that one wrote into the file), null if
   * none or if it is this proxy's own.
   */
  public String replaced() {
    String r = replaced;
    return r == null || r.equals(url) ? null : r;
  }

  /** What this proxy is now. */
  public ProxyRole role() {
    return active.getCount() == 0 ? ProxyRole.ACTIVE : ProxyRole.STANDBY;
  }

  public boolean active() {
    return role() == ProxyRole.ACTIVE;
  }

  /** When it became active; null while it is the standby. */
  public Instant activeSince() {
    return activeSince;
  }

  /** The lock file; null without a standby. */
  public Path file() {
    return file;
  }

  /** Blocks until this proxy is the active one. */
  @Override
  public void awaitOpen() throws InterruptedException {
    active.await();
  }

  /** Lets go of the lock (a proxy that stops): the standby takes over. */
  @Override
  public synchronized void close() {
    closed = true;
    try {
      if (lock != null) {
        lock.release();
      }
      if (channel != null) {
        channel.close();
      }
    } catch (IOException e) {
      log.warn("releasing the standby lock {} failed: {}", file, e.toString());
    }
    if (waiter != null) {
      waiter.interrupt();
    }
  }
}
