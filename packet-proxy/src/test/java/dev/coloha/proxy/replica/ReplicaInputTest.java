package dev.coloha.proxy.replica;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.coloha.proxy.group.ReplicaRef;
import dev.coloha.wire.frame.FrameInput;
import dev.coloha.wire.io.IoFrame;
import dev.coloha.wire.io.IoFrameCodec;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The input stream to an agent, written by whichever thread owns it: the client readers that queued
 * a frame and found nobody writing ({@link ReplicaInput#drain()}) or the stream's own thread
 * (frames queued before it opened, heartbeats, END). A real HTTP server decodes what arrives.
 */
class ReplicaInputTest {
  private HttpServer server;
  private final BlockingQueue<IoFrame> received = new LinkedBlockingQueue<>();
  private final AtomicReference<CountDownLatch> readGate =
      new AtomicReference<>(new CountDownLatch(0));
  private final List<ReplicaInput> inputs = new ArrayList<>();

  @BeforeEach
  void agent() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext("/v1/vms/", this::input);
    server.start();
  }

  @AfterEach
  void stop() {
    inputs.forEach(ReplicaInput::abort);
    readGate.get().countDown();
    server.stop(0);
  }

  /** The agent's end of the input stream: every frame decoded, in order, once the gate opens. */
  private void input(HttpExchange x) throws IOException {
    try {
      readGate.get().await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    try (InputStream body = x.getRequestBody()) {
      FrameInput in = new FrameInput(body, 64 << 20);
      IoFrameCodec codec = new IoFrameCodec();
      for (IoFrame f = codec.read(in); f != null; f = codec.read(in)) {
        received.add(f);
        if (f instanceof IoFrame.End) {
          break;
        }
      }
    } catch (IOException e) {
      // the proxy's side went away
    }
    x.sendResponseHeaders(200, -1);
    x.close();
  }

  private ReplicaInput open(Duration heartbeat) {
    ReplicaInput in =
        new ReplicaInput(
            new ReplicaRef("http://127.0.0.1:" + server.getAddress().getPort(), "vm"),
            1,
            new StreamSettings(
                Duration.ofSeconds(5), Duration.ofSeconds(10), heartbeat, 64 << 20, Map.of()),
            (i, why) -> {},
            q -> {});
    inputs.add(in);
    in.start();
    return in;
  }

  private static byte[] bytes(int conn, long offset, int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (conn * 31 + offset + i);
    }
    return b;
  }

  /** Data frames received per connection, in arrival order; other frames dropped. */
  private Map<Integer, List<IoFrame.Data>> dataUntilEnd() throws InterruptedException {
    Map<Integer, List<IoFrame.Data>> got = new HashMap<>();
    while (true) {
      IoFrame f = received.poll(30, TimeUnit.SECONDS);
      assertThat(f).as("a frame within 30 s").isNotNull();
      if (f instanceof IoFrame.End) {
        return got;
      }
      if (f instanceof IoFrame.Data d) {
        got.computeIfAbsent(d.conn(), k -> new ArrayList<>()).add(d);
      }
    }
  }

  @Test
  void framesOfManyClientReadersArriveWholeAndInEachConnectionsOrder() throws Exception {
    ReplicaInput in = open(Duration.ofMillis(500));
    int readers = 8;
    int framesEach = 1_500;
    List<Thread> threads = new ArrayList<>();
    for (int r = 1; r <= readers; r++) {
      int conn = r;
      threads.add(
          Thread.ofVirtual()
              .start(
                  () -> {
                    long offset = 0;
                    for (int i = 0; i < framesEach; i++) {
                      // mostly requests, now and then one larger than the stream's chunk buffer
                      int n = i % 500 == 7 ? 100_000 : 1 + (i * 37 + conn) % 300;
                      in.offer(new IoFrame.Data(conn, offset, bytes(conn, offset, n)));
                      in.drain();
                      offset += n;
                    }
                  }));
    }
    for (Thread t : threads) {
      t.join();
    }
    in.close();

    Map<Integer, List<IoFrame.Data>> got = dataUntilEnd();
    assertThat(got).hasSize(readers);
    for (var e : got.entrySet()) {
      assertThat(e.getValue()).hasSize(framesEach);
      long offset = 0;
      for (IoFrame.Data d : e.getValue()) {
        assertThat(d.offset()).isEqualTo(offset);
        assertThat(d.bytes()).isEqualTo(bytes(e.getKey(), offset, d.bytes().length));
        offset += d.bytes().length;
      }
    }
  }

  @Test
  void aReaderBlockedByAnAgentThatDoesNotReadHoldsUpNoOtherReader() throws Exception {
    CountDownLatch agentReads = new CountDownLatch(1);
    readGate.set(agentReads);
    ReplicaInput in = open(Duration.ofMillis(500));
    // the first frame is larger than what the sockets can buffer: its writer blocks in drain()
    byte[] big = bytes(1, 0, 48 << 20);
    CountDownLatch bigQueued = new CountDownLatch(1);
    Thread blocked =
        Thread.ofVirtual()
            .start(
                () -> {
                  in.offer(new IoFrame.Data(1, 0, big));
                  bigQueued.countDown();
                  in.drain();
                });
    assertThat(bigQueued.await(10, TimeUnit.SECONDS)).isTrue();
    Thread.sleep(300); // let it write what the sockets take, then block
    assertThat(blocked.isAlive()).as("the writer of the large frame waits for the agent").isTrue();

    // another client reader queues and returns: the blocked owner writes its frame after the big
    // one
    Thread other =
        Thread.ofVirtual()
            .start(
                () -> {
                  in.offer(new IoFrame.Data(2, 0, bytes(2, 0, 10)));
                  in.drain();
                });
    other.join(Duration.ofSeconds(10));
    assertThat(other.isAlive()).as("a second reader does not wait for the agent").isFalse();
    assertThat(blocked.isAlive()).isTrue();

    agentReads.countDown();
    blocked.join(Duration.ofSeconds(30));
    assertThat(blocked.isAlive()).isFalse();
    in.close();
    List<IoFrame.Data> arrived = new ArrayList<>();
    for (IoFrame f = received.poll(30, TimeUnit.SECONDS);
        !(f instanceof IoFrame.End);
        f = received.poll(30, TimeUnit.SECONDS)) {
      assertThat(f).as("a frame within 30 s").isNotNull();
      if (f instanceof IoFrame.Data d) {
        arrived.add(d);
      }
    }
    assertThat(arrived).extracting(IoFrame.Data::conn).containsExactly(1, 2);
    assertThat(arrived.get(0).bytes()).isEqualTo(big);
  }

  @Test
  void anIdleStreamCarriesHeartbeatsThenTheQueuedFramesThenEnd() throws Exception {
    ReplicaInput in = open(Duration.ofMillis(50));
    // queued at once, likely before the stream is open: its own thread writes them once it is
    for (int i = 0; i < 20; i++) {
      in.offer(new IoFrame.Data(1, i, bytes(1, i, 1)));
      in.drain();
    }
    int beats = 0;
    int data = 0;
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (beats < 3 && System.nanoTime() < until) {
      IoFrame f = received.poll(1, TimeUnit.SECONDS);
      if (f instanceof IoFrame.Heartbeat) {
        beats++;
      } else if (f instanceof IoFrame.Data) {
        assertThat(beats).as("the queued frames come before the idle stream's heartbeats").isZero();
        data++;
      }
    }
    assertThat(data).isEqualTo(20);
    assertThat(beats).isEqualTo(3);
    in.offer(new IoFrame.Data(1, 20, bytes(1, 20, 5)));
    in.drain();
    in.close();
    assertThat(dataUntilEnd().get(1)).extracting(IoFrame.Data::offset).containsExactly(20L);
  }
}
