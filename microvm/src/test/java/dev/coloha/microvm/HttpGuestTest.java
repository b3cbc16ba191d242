package dev.coloha.microvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.microvm.conn.InputEvent;
import dev.coloha.microvm.device.BlockDevice;
import dev.coloha.microvm.testing.RecordingSink;
import dev.coloha.microvm.testing.StepClock;
import dev.coloha.microvm.testing.TestGuests;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The http guest times out a request head that does not complete (slowloris): 408 and close, ten
 * seconds after the head's first byte, however slowly the client trickles the rest. The clock is
 * the test's, so nothing waits ten real seconds.
 */
class HttpGuestTest {
  final StepClock clock = new StepClock();
  final RecordingSink out = new RecordingSink();
  MicroVm vm;
  int wakeConn = 100;

  @BeforeEach
  void boot() {
    vm =
        MicroVm.create(
            "http",
            TestGuests.get("http"),
            VmConfig.defaults(),
            new VmEnvironment(BlockDevice.NONE, clock, clock, out));
    vm.start();
  }

  @AfterEach
  void stop() {
    vm.stop();
  }

  private final long[] offsets = new long[16];

  private void send(int conn, String text) {
    byte[] b = text.getBytes(StandardCharsets.US_ASCII);
    vm.submit(new InputEvent.Data(conn, offsets[conn], b));
    offsets[conn] += b.length;
  }

  /** Moves the test clock and wakes the VM (a new connection) so that it sees the new time. */
  private void advance(long ms) {
    clock.advanceMillis(ms);
    vm.submit(new InputEvent.Open(wakeConn++));
  }

  @Test
  void aPartialRequestHeadIsAnswered408AndClosedAfterTenSeconds() {
    vm.submit(new InputEvent.Open(1));
    vm.submit(new InputEvent.Open(2));
    send(1, "GET / HTTP/1.1\r\nHost: x\r\n");
    send(2, "GET /counter HTTP/1.1\r\nHost: x\r\n\r\n");
    await().atMost(Duration.ofSeconds(10)).until(() -> out.text(2).startsWith("HTTP/1.1 200 OK"));
    advance(9_000);
    send(1, "User-Agent: slow\r\n"); // trickling does not restart the head's clock
    advance(500);
    await().during(Duration.ofMillis(300)).until(() -> out.text(1).isEmpty());
    advance(1_000);
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              assertThat(out.text(1)).startsWith("HTTP/1.1 408 Request Timeout");
              assertThat(out.text(1)).contains("Connection: close");
              assertThat(out.closed(1)).isTrue();
            });
    assertThat(out.closed(2)).as("the answered keep-alive connection stays").isFalse();
  }

  @Test
  void aCompletedHeadStopsTheClockAndTheNextHeadGetsItsOwn() {
    vm.submit(new InputEvent.Open(3));
    send(3, "GET / HTTP/1.1\r\nHo");
    advance(8_000);
    send(3, "st: x\r\n\r\nGET /counter HTTP/1.1\r\n");
    await().atMost(Duration.ofSeconds(10)).until(() -> out.text(3).contains("HTTP/1.1 200 OK"));
    advance(8_000); // 16 s after the first head began, 8 s after the second
    await().during(Duration.ofMillis(300)).until(() -> !out.text(3).contains("408"));
    advance(2_500);
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(out.text(3)).contains("HTTP/1.1 408 Request Timeout"));
    assertThat(out.closed(3)).isTrue();
  }
}
