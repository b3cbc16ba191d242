package dev.coloha.mirror.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * After answering a flush, the mirror's Unix-domain stream thread looks for the agent's next
 * request without sleeping for {@code colo.mirror.io.poll-after-flush} (issue 18): {@link
 * FrameBuffer#pollForMore()} on a real socket pair.
 */
class FrameBufferPollTest {

  /** A connected pair of Unix-domain sockets: [0] the mirror's end, [1] the agent's. */
  private static SocketChannel[] pair() throws IOException {
    Path dir = Files.createTempDirectory("poll");
    Path sock = dir.resolve("s.sock");
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(sock));
      SocketChannel agent = SocketChannel.open(StandardProtocolFamily.UNIX);
      agent.connect(UnixDomainSocketAddress.of(sock));
      SocketChannel mirror = server.accept();
      Files.deleteIfExists(sock);
      Files.deleteIfExists(dir);
      return new SocketChannel[] {mirror, agent};
    }
  }

  private static CompletableFuture<Void> sendLater(SocketChannel ch, byte[] bytes, long millis) {
    return CompletableFuture.runAsync(
        () -> {
          try {
            Thread.sleep(millis); // the agent's next request comes a little later
            ch.write(ByteBuffer.wrap(bytes));
          } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
          }
        });
  }

  @Test
  void bytesThatComeWithinThePollAreBufferedAndTheChannelStaysBlocking() throws Exception {
    SocketChannel[] p = pair();
    try (SocketChannel mirror = p[0];
        SocketChannel agent = p[1]) {
      FrameBuffer in = new FrameBuffer(mirror, 1 << 16, Duration.ofSeconds(5));
      CompletableFuture<Void> sent = sendLater(agent, new byte[] {1, 2, 3}, 30);
      in.pollForMore();
      sent.get(5, TimeUnit.SECONDS);
      assertThat(in.buffered()).isEqualTo(3);
      assertThat(in.polled()).isEqualTo(1);
      assertThat(mirror.isBlocking()).isTrue();
      byte[] got = new byte[3];
      assertThat(in.read(got, 0, 3)).isEqualTo(3);
      assertThat(got).containsExactly(1, 2, 3);
      // buffered bytes: no poll, nothing lost
      agent.write(ByteBuffer.wrap(new byte[] {4, 5}));
      assertThat(in.read(got, 0, 1)).isEqualTo(1);
      in.pollForMore();
      assertThat(in.read(got, 0, 1)).isEqualTo(1);
      assertThat(got[0]).isEqualTo((byte) 5);
    }
  }

  @Test
  void withNoPollOrPastItNothingIsReadAndTheNextReadBlocksAsBefore() throws Exception {
    SocketChannel[] p = pair();
    try (SocketChannel mirror = p[0];
        SocketChannel agent = p[1]) {
      FrameBuffer none = new FrameBuffer(mirror, 1 << 16, Duration.ZERO);
      none.pollForMore();
      assertThat(none.buffered()).isZero();
      FrameBuffer brief = new FrameBuffer(mirror, 1 << 16, Duration.ofMillis(2));
      brief.pollForMore(); // nothing comes within 2 ms
      assertThat(brief.buffered()).isZero();
      assertThat(brief.polled()).isZero();
      CompletableFuture<Void> sent = sendLater(agent, new byte[] {7}, 50);
      assertThat(brief.read()).isEqualTo(7); // the blocking read
      sent.get(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void anAgentThatLeavesWhileThePollRunsEndsItAndTheReadSeesTheEnd() throws Exception {
    SocketChannel[] p = pair();
    try (SocketChannel mirror = p[0]) {
      SocketChannel agent = p[1];
      FrameBuffer in = new FrameBuffer(mirror, 1 << 16, Duration.ofSeconds(20));
      CompletableFuture.runAsync(
          () -> {
            try {
              Thread.sleep(30);
              agent.close(); // kill -9 of the agent
            } catch (IOException | InterruptedException e) {
              throw new IllegalStateException(e);
            }
          });
      long t0 = System.nanoTime();
      in.pollForMore();
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
      assertThat(in.read()).isEqualTo(-1);
    }
  }
}
