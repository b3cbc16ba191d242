package dev.coloha.microvm.testing;

import static org.awaitility.Awaitility.await;

import dev.coloha.microvm.MicroVm;
import dev.coloha.microvm.conn.InputEvent;
import dev.coloha.testkit.Resp;
import java.time.Duration;
import java.util.function.Predicate;

/**
 * One client connection to a VM's guest, fed by the test itself (no proxy, no socket): opens the
 * connection, sends input at the next offset, and reads what the guest answered on it from the VM's
 * {@link RecordingSink}.
 */
public final class GuestConnection {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final MicroVm vm;
  private final RecordingSink out;
  private final int conn;
  private long offset;

  private GuestConnection(MicroVm vm, RecordingSink out, int conn) {
    this.vm = vm;
    this.out = out;
    this.conn = conn;
  }

  /** Opens connection 1 of {@code vm}, whose output goes to {@code out}. */
  public static GuestConnection open(MicroVm vm, RecordingSink out) {
    vm.submit(new InputEvent.Open(1));
    return new GuestConnection(vm, out, 1);
  }

  /** Sends bytes as the connection's next input. */
  public GuestConnection send(byte[] bytes) {
    vm.submit(new InputEvent.Data(conn, offset, bytes));
    offset += bytes.length;
    return this;
  }

  /** Sends one RESP command. */
  public GuestConnection command(String... args) {
    return send(Resp.command(args));
  }

  /** Everything the guest answered on the connection so far. */
  public String text() {
    return out.text(conn);
  }

  /** Waits (10 s at most) until what the guest answered satisfies {@code done}. */
  public void awaitText(Predicate<String> done) {
    await().atMost(WAIT).until(() -> done.test(text()));
  }
}
