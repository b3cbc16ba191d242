package dev.coloha.proxy.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.proxy.compare.Chunk;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A group's client loop over real loopback sockets: one round reads every ready client and then
 * ends the round once (the round's frames go to the agents in one write), a client that does not
 * read holds up neither another client's replies nor anyone's input, closed gates stop reading
 * until they open, and the output queued for a closing connection is written before it closes.
 */
class ClientLoopTest {
  private static final long CLIENT_BUFFER = 1 << 20;

  /** What the loop told the group, in order. */
  private final List<String> told = new CopyOnWriteArrayList<>();

  private final AtomicLong paused = new AtomicLong();
  private final List<Socket> clients = new ArrayList<>();
  private final Gate groupGate = new Gate();
  private ServerSocketChannel server;
  private ClientLoop loop;

  private final ClientEvents events =
      new ClientEvents() {
        @Override
        public void input(ClientConnection c, byte[] bytes) {
          told.add("input " + c.id() + " " + new String(bytes));
        }

        @Override
        public void readsDone() {
          told.add("done");
        }

        @Override
        public void inputClosed(ClientConnection c) {
          told.add("end " + c.id());
        }

        @Override
        public void gone(ClientConnection c, String why) {
          told.add("gone " + c.id());
        }

        @Override
        public void pausedFor(ClientConnection c, long nanos) {
          paused.addAndGet(nanos);
        }
      };

  @BeforeEach
  void listen() throws IOException {
    server = ServerSocketChannel.open();
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    loop = new ClientLoop("test", events, groupGate, 16 * 1024);
  }

  @AfterEach
  void close() throws IOException {
    for (Socket s : clients) {
      s.close();
    }
    loop.close();
    server.close();
  }

  /** A connected pair: the test's client socket and the proxy's connection on the loop. */
  private ClientConnection connect(int id) throws IOException {
    Socket client = new Socket(InetAddress.getLoopbackAddress(), server.socket().getLocalPort());
    client.setSoTimeout(10_000);
    clients.add(client);
    return new ClientConnection(id, server.accept(), events, loop, groupGate, CLIENT_BUFFER);
  }

  private static void write(Socket s, String text) throws IOException {
    s.getOutputStream().write(text.getBytes());
    s.getOutputStream().flush();
  }

  private static Chunk chunk(byte[] bytes) {
    return new Chunk(bytes, 0, 0, System.nanoTime());
  }

  @Test
  void oneRoundReadsEveryReadyClientAndEndsOnce() throws Exception {
    List<ClientConnection> cs = List.of(connect(1), connect(2), connect(3));
    cs.forEach(ClientConnection::start);
    write(clients.get(0), "a");
    write(clients.get(1), "b");
    write(clients.get(2), "c");
    Thread.sleep(200); // all three have bytes before the loop's first select
    loop.start();

    await().until(() -> told.contains("done"));
    List<String> firstRound = told.subList(0, told.indexOf("done"));
    assertThat(firstRound).containsExactlyInAnyOrder("input 1 a", "input 2 b", "input 3 c");
  }

  @Test
  void aClientThatDoesNotReadHoldsUpNobody() throws Exception {
    loop.start();
    ClientConnection stuck = connect(1);
    ClientConnection other = connect(2);
    stuck.start();
    other.start();
    Socket stuckClient = clients.get(0);
    Socket otherClient = clients.get(1);

    // 8 MiB for a client that reads nothing: far more than the sockets hold; send never blocks
    byte[] big = new byte[64 * 1024];
    int n = 128;
    for (int i = 0; i < n; i++) {
      Arrays.fill(big, (byte) i);
      stuck.send(chunk(big.clone()));
    }
    assertThat(stuck.unsent()).isPositive();
    assertThat(stuck.gate().reasons()).contains(Gate.Reason.CLIENT_SLOW);

    // the other client gets its reply and is read as before
    other.send(chunk("+OK\r\n".getBytes()));
    byte[] reply = otherClient.getInputStream().readNBytes(5);
    assertThat(new String(reply)).isEqualTo("+OK\r\n");
    write(otherClient, "x");
    await().until(() -> told.contains("input 2 x"));

    // once the slow client reads, the loop writes the rest, in order, and its gate opens
    InputStream in = stuckClient.getInputStream();
    for (int i = 0; i < n; i++) {
      byte[] got = in.readNBytes(big.length);
      assertThat(got).hasSize(big.length);
      assertThat(got[0]).isEqualTo((byte) i);
      assertThat(got[got.length - 1]).isEqualTo((byte) i);
    }
    await().until(() -> stuck.unsent() == 0 && stuck.gate().isOpen());
    assertThat(stuck.written()).isEqualTo((long) n * big.length);
  }

  @Test
  void aClosedGateStopsReadingUntilItOpens() throws Exception {
    loop.start();
    ClientConnection c = connect(1);
    c.start();
    write(clients.get(0), "a");
    await().until(() -> told.contains("input 1 a"));

    c.gate().close(Gate.Reason.HELD);
    write(clients.get(0), "b");
    Thread.sleep(300);
    assertThat(told).doesNotContain("input 1 b");

    groupGate.close(Gate.Reason.RETAINED);
    c.gate().open(Gate.Reason.HELD);
    Thread.sleep(300);
    assertThat(told).doesNotContain("input 1 b");

    groupGate.open(Gate.Reason.RETAINED);
    await().until(() -> told.contains("input 1 b"));
    assertThat(paused.get()).isPositive();
  }

  @Test
  void theEndOfInputAndTheGuestsCloseAfterTheQueuedOutput() throws Exception {
    loop.start();
    ClientConnection c = connect(1);
    c.start();
    Socket client = clients.get(0);
    client.shutdownOutput();
    await().until(() -> told.contains("end 1"));
    assertThat(c.inputClosed()).isTrue();

    c.send(chunk("bye".getBytes()));
    c.closeAfterOutput();
    InputStream in = client.getInputStream();
    assertThat(new String(in.readNBytes(3))).isEqualTo("bye");
    assertThat(in.read()).isEqualTo(-1);
    await().until(() -> told.contains("gone 1"));
  }
}
