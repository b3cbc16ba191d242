package dev.coloha.proxy.standby;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The warm standby's lock without Spring: the proxy holding the pair's lock file is ACTIVE, the
 * other STANDBY (its heartbeat gate closed) until the holder dies, also by {@code kill -9}. The
 * other proxy is a real second process (a {@link StandbyLockHolder}): fcntl locks are per process.
 */
class StandbyLockTest {
  @TempDir Path dir;

  private static final String OTHER_URL = "http://127.0.0.1:7001";
  private static final String OWN_URL = "http://127.0.0.1:7002";

  private Process other;

  @AfterEach
  void killOther() throws InterruptedException {
    if (other != null) {
      other.destroyForcibly().waitFor();
    }
  }

  /** Starts the other proxy; returns the reader of its output, its first line read already. */
  private BufferedReader startOther(Path file, String firstLine) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    other =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                StandbyLockHolder.class.getName(),
                file.toString(),
                OTHER_URL)
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(other.getInputStream(), StandardCharsets.UTF_8));
    assertThat(role(out)).as("the other proxy's role at its start").isEqualTo(firstLine);
    return out;
  }

  /** The next role the other proxy prints (its log lines go to the same output). */
  private static String role(BufferedReader out) throws IOException {
    for (String line = out.readLine(); line != null; line = out.readLine()) {
      if (line.equals("ACTIVE") || line.equals("STANDBY") || line.startsWith("REPLACES ")) {
        return line;
      }
    }
    return null;
  }

  private static CompletableFuture<String> nextLine(BufferedReader out) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return role(out);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
  }

  @Test
  void aProxyWithoutALockFileIsActiveFromTheStart() throws InterruptedException {
    try (StandbyLock lock = new StandbyLock(null, Clock.systemUTC())) {
      lock.start();
      assertThat(lock.role()).isEqualTo(ProxyRole.ACTIVE);
      assertThat(lock.activeSince()).isNotNull();
      lock.awaitOpen(); // the heartbeat's gate is open: returns at once
      assertThat(lock.replaced()).isNull();
    }
  }

  @Test
  void theStandbyBecomesActiveWhenTheActiveProxyIsKilledAndOnlyThen() throws Exception {
    Path file = dir.resolve("pair/proxy.lock");
    startOther(file, "ACTIVE");

    try (StandbyLock standby = new StandbyLock(file, Clock.systemUTC())) {
      standby.start();
      standby.advertise(OWN_URL);
      assertThat(standby.role()).isEqualTo(ProxyRole.STANDBY);
      assertThat(standby.activeSince()).isNull();
      CompletableFuture<Void> gate =
          CompletableFuture.runAsync(
              () -> {
                try {
                  standby.awaitOpen();
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              });
      // while the active proxy lives, the standby neither beats nor takes over
      assertThat(other.waitFor(300, TimeUnit.MILLISECONDS)).isFalse();
      assertThat(standby.role()).isEqualTo(ProxyRole.STANDBY);
      assertThat(gate).isNotDone();

      other.destroyForcibly(); // kill -9: the kernel releases its lock

      await().atMost(Duration.ofSeconds(30)).until(() -> standby.role() == ProxyRole.ACTIVE);
      gate.get(30, TimeUnit.SECONDS);
      assertThat(standby.activeSince()).isNotNull();
      assertThat(standby.replaced())
          .as("the URL the killed holder wrote into the lock file")
          .isEqualTo(OTHER_URL);

      // the killed proxy started again is the standby now, until this one lets go of the lock
      other.waitFor();
      BufferedReader restarted = startOther(file, "STANDBY");
      CompletableFuture<String> takeover = nextLine(restarted);
      assertThat(other.waitFor(300, TimeUnit.MILLISECONDS)).isFalse();
      assertThat(takeover).isNotDone();
      standby.close();
      assertThat(takeover.get(30, TimeUnit.SECONDS)).isEqualTo("ACTIVE");
      assertThat(role(restarted)).isEqualTo("REPLACES " + OWN_URL);
    }
  }

  @Test
  void aLockFileThatCannotBeOpenedFailsTheStart() throws IOException {
    Path notADir = Files.writeString(dir.resolve("file"), "x");
    try (StandbyLock lock = new StandbyLock(notADir.resolve("proxy.lock"), Clock.systemUTC())) {
      assertThatThrownBy(lock::start)
          .isInstanceOf(UncheckedIOException.class)
          .hasMessageContaining("standby lock file");
      assertThat(lock.role()).isEqualTo(ProxyRole.STANDBY);
    }
  }
}
