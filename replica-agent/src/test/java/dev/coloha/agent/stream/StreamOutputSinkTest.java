package dev.coloha.agent.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.wire.frame.FrameInput;
import dev.coloha.wire.io.IoFrame;
import dev.coloha.wire.io.IoFrameCodec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Output written to a subscriber that died (a killed proxy whose socket swallowed it) is not lost:
 * the next subscriber (the standby proxy taking over) is sent the kept frames first, within the
 * configured retention.
 */
class StreamOutputSinkTest {
  private static final long EPOCH = 3;
  private final ExecutorService threads = Executors.newCachedThreadPool();

  @AfterEach
  void stop() {
    threads.shutdownNow();
  }

  /** A subscriber's socket: it takes every byte; whether they arrive is another matter. */
  static final class Socket extends OutputStream {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    @Override
    public synchronized void write(int b) {
      bytes.write(b);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
      bytes.write(b, off, len);
    }

    /** The output frames in the bytes written so far, as "conn:offset:text". */
    List<String> outputs() throws IOException {
      byte[] all;
      synchronized (this) {
        all = bytes.toByteArray();
      }
      FrameInput in = new FrameInput(new ByteArrayInputStream(all), 1 << 20);
      IoFrameCodec codec = new IoFrameCodec();
      List<String> out = new ArrayList<>();
      try {
        for (IoFrame f = codec.read(in); f != null; f = codec.read(in)) {
          if (f instanceof IoFrame.Output o) {
            out.add(
                o.conn() + ":" + o.offset() + ":" + new String(o.bytes(), StandardCharsets.UTF_8));
          }
        }
      } catch (IOException partial) {
        // the last frame is still being written
      }
      return out;
    }
  }

  private StreamOutputSink sink(long retention) {
    // watermarks far above what the test writes: the VM's input gate is never touched
    return new StreamOutputSink(
        null,
        () -> EPOCH,
        new InputFlow(1 << 20),
        1 << 20,
        1 << 19,
        Duration.ofMillis(50),
        retention);
  }

  private CompletableFuture<Void> subscribe(StreamOutputSink sink, Socket socket) {
    return CompletableFuture.runAsync(
        () -> {
          try {
            sink.serve(socket);
          } catch (IOException e) {
            throw new IllegalStateException(e);
          }
        },
        threads);
  }

  private static void output(StreamOutputSink sink, int conn, long offset, String text) {
    sink.output(conn, 7, offset, text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void framesWrittenToADeadSubscriberAreSentToTheNextOneFirstInOrder() throws Exception {
    StreamOutputSink sink = sink(1 << 20);
    Socket dead = new Socket();
    CompletableFuture<Void> first = subscribe(sink, dead);
    output(sink, 1, 0, "+OK\r\n");
    output(sink, 2, 0, ":41\r\n");
    await().atMost(Duration.ofSeconds(10)).until(() -> dead.outputs().size() == 2);
    assertThat(sink.queuedBytes()).as("written: no longer queued").isZero();

    // the proxy dies with both frames in its socket's buffer; the standby subscribes
    Socket standby = new Socket();
    CompletableFuture<Void> second = subscribe(sink, standby);
    first.get(10, java.util.concurrent.TimeUnit.SECONDS); // replaced: the old one ends
    output(sink, 2, 5, ":42\r\n");
    await().atMost(Duration.ofSeconds(10)).until(() -> standby.outputs().size() == 3);
    sink.close();
    second.get(10, java.util.concurrent.TimeUnit.SECONDS);

    assertThat(standby.outputs())
        .as("the kept frames first, oldest first, then the new one, each once")
        .containsExactly("1:0:+OK\r\n", "2:0::41\r\n", "2:5::42\r\n");
  }

  @Test
  void theRetentionBoundsWhatIsKeptOldestDroppedFirst() throws Exception {
    // room for one kept frame of 5 bytes, not two
    StreamOutputSink sink = sink(5 + StreamOutputSink.FRAME_OVERHEAD);
    Socket dead = new Socket();
    CompletableFuture<Void> first = subscribe(sink, dead);
    output(sink, 1, 0, "+OK\r\n");
    output(sink, 1, 5, "+OK\r\n");
    await().atMost(Duration.ofSeconds(10)).until(() -> dead.outputs().size() == 2);
    assertThat(sink.retainedFrames()).isEqualTo(1);

    Socket standby = new Socket();
    CompletableFuture<Void> second = subscribe(sink, standby);
    first.get(10, java.util.concurrent.TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(10)).until(() -> standby.outputs().size() == 1);
    sink.close();
    second.get(10, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(standby.outputs()).containsExactly("1:5:+OK\r\n");
  }

  @Test
  void noRetentionKeepsNothing() throws Exception {
    StreamOutputSink sink = sink(0);
    Socket dead = new Socket();
    CompletableFuture<Void> first = subscribe(sink, dead);
    output(sink, 1, 0, "+OK\r\n");
    await().atMost(Duration.ofSeconds(10)).until(() -> dead.outputs().size() == 1);
    assertThat(sink.retainedFrames()).isZero();
    Socket next = new Socket();
    CompletableFuture<Void> second = subscribe(sink, next);
    first.get(10, java.util.concurrent.TimeUnit.SECONDS);
    output(sink, 1, 5, "+OK\r\n");
    await().atMost(Duration.ofSeconds(10)).until(() -> next.outputs().size() == 1);
    sink.close();
    second.get(10, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(next.outputs()).containsExactly("1:5:+OK\r\n");
  }
}
