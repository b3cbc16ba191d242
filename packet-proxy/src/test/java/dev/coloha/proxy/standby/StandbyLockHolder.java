package dev.coloha.proxy.standby;

import java.nio.file.Path;
import java.time.Clock;

/**
 * A second proxy process for {@link StandbyLockTest} (fcntl locks are per process: two locks of one
 * JVM never contend): takes the lock file of {@code args[0]}, prints its role at once, then {@code
 * ACTIVE} once it holds the lock, and lives until it is killed.
 */
public final class StandbyLockHolder {
  private StandbyLockHolder() {}

  public static void main(String[] args) throws Exception {
    StandbyLock lock = new StandbyLock(Path.of(args[0]), Clock.systemUTC());
    lock.start();
    lock.advertise(args[1]);
    System.out.println(lock.role());
    System.out.flush();
    lock.awaitOpen();
    System.out.println("ACTIVE");
    System.out.println("REPLACES " + lock.replaced());
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
