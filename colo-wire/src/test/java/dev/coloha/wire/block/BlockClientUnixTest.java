package dev.coloha.wire.block;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.coloha.api.mirror.VolumeRole;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The I/O stream over the Unix-domain socket, whose reader changes hands: a caller waiting for its
 * reply reads the socket itself while no other thread does (issue 18), and every failure still
 * reaches every waiting caller at once.
 */
class BlockClientUnixTest {
  private static final BlockFrame.Hello HELLO =
      new BlockFrame.Hello(4, 1 << 20, VolumeRole.PRIMARY, 1 << 20);

  private static BlockClient.Options options(Duration requestTimeout) {
    return options(requestTimeout, Duration.ofMillis(50));
  }

  private static BlockClient.Options options(Duration requestTimeout, Duration heartbeat) {
    return new BlockClient.Options(
        Duration.ofSeconds(2),
        requestTimeout,
        heartbeat,
        Duration.ofSeconds(10),
        (1 << 20) + 64,
        Map.of());
  }

  /** Answers every request and heartbeat at once, except the flushes {@code hold} keeps. */
  private static FakeUnixMirror.Script answering(
      LinkedBlockingQueue<BlockFrame.Request> seen, CountDownLatch release, boolean holdFlushes) {
    return (in, out, codec) -> {
      codec.write(HELLO, out);
      out.flush();
      while (true) {
        BlockFrame f = codec.read(in);
        switch (f) {
          case null -> {
            return;
          }
          case BlockFrame.Heartbeat h -> codec.write(new BlockFrame.Heartbeat(4), out);
          case BlockFrame.End e -> {
            codec.write(e, out);
            out.flush();
            return;
          }
          case BlockFrame.Request r -> {
            seen.add(r);
            if (holdFlushes && r instanceof BlockFrame.Flush) {
              try {
                release.await(); // never answered: the test kills the connection
              } catch (InterruptedException e) {
                return;
              }
              return;
            }
            codec.write(new BlockFrame.Done(r.id(), 0), out);
          }
          default -> {
            return;
          }
        }
        out.flush();
      }
    };
  }

  @Test
  void aWaitingCallerReadsItsOwnReplyItselfAndTheReplyThreadReadsTheRest() throws Exception {
    LinkedBlockingQueue<BlockFrame.Request> seen = new LinkedBlockingQueue<>();
    try (FakeUnixMirror mirror = new FakeUnixMirror(answering(seen, new CountDownLatch(0), false));
        BlockClient client =
            BlockClient.connect(
                mirror.uri(), "v", 4, options(Duration.ofSeconds(30), Duration.ofSeconds(5)))) {
      client.flush(); // the reply thread, just started, is parked from now on
      long before = client.repliesReadByCallers();
      for (int i = 0; i < 20; i++) {
        long write = client.queueWrite(512L * i, new byte[512]);
        // the completion runs on the thread that read the reply: the caller, not the reply thread
        Thread reader =
            client.sendFlush().thenApply(v -> Thread.currentThread()).get(5, TimeUnit.SECONDS);
        assertThat(reader).isSameAs(Thread.currentThread());
        assertThat(client.answeredUpTo()).isGreaterThan(write);
      }
      assertThat(client.repliesReadByCallers() - before).isGreaterThanOrEqualTo(40);

      // writes pushed without a wait: the reply thread reads their replies
      long last = 0;
      for (int i = 0; i < 10; i++) {
        last = client.queueWrite(512L * i, new byte[512]);
      }
      client.push();
      long byCallers = client.repliesReadByCallers();
      long upTo = last;
      await().atMost(Duration.ofSeconds(5)).until(() -> client.answeredUpTo() >= upTo);
      assertThat(client.repliesReadByCallers()).isEqualTo(byCallers);

      client.flush();
    }
  }

  @Test
  void heartbeatsKeepAnIdleStreamAliveWithNobodyReadingIt() throws Exception {
    LinkedBlockingQueue<BlockFrame.Request> seen = new LinkedBlockingQueue<>();
    try (FakeUnixMirror mirror = new FakeUnixMirror(answering(seen, new CountDownLatch(0), false));
        BlockClient client =
            BlockClient.connect(
                mirror.uri(),
                "v",
                4,
                new BlockClient.Options(
                    Duration.ofSeconds(2),
                    Duration.ofSeconds(30),
                    Duration.ofMillis(20),
                    Duration.ofMillis(200),
                    (1 << 20) + 64,
                    Map.of()))) {
      client.flush();
      Thread.sleep(1_000); // five stream timeouts: the heartbeats' replies are read
      assertThat(client.isBroken()).isFalse();
      client.flush();
    }
  }

  @Test
  void aMirrorKilledMidFlushFailsTheReadingCallerAndTheOnesWaitingForItsTurnPromptly()
      throws Exception {
    LinkedBlockingQueue<BlockFrame.Request> seen = new LinkedBlockingQueue<>();
    CountDownLatch release = new CountDownLatch(1);
    try (FakeUnixMirror mirror = new FakeUnixMirror(answering(seen, release, true));
        BlockClient client =
            BlockClient.connect(mirror.uri(), "v", 4, options(Duration.ofSeconds(30)))) {
      // the first flush's caller reads the socket; the second waits for a reply or the turn
      CompletableFuture<Void> reading = CompletableFuture.runAsync(client::flush);
      assertThat(seen.poll(5, TimeUnit.SECONDS)).isInstanceOf(BlockFrame.Flush.class);
      CompletableFuture<Void> waiting = CompletableFuture.runAsync(client::flush);
      // its FLUSH is on the socket (two replies awaited); the mirror, busy, does not read it
      await().atMost(Duration.ofSeconds(5)).until(() -> client.repliesAwaited() >= 2);
      long t0 = System.nanoTime();
      mirror.killConnections(); // kill -9 in the middle of the flush
      for (CompletableFuture<Void> f : java.util.List.of(reading, waiting)) {
        assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS))
            .isInstanceOf(ExecutionException.class)
            .cause()
            .isInstanceOf(MirrorUnavailableException.class);
      }
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
      assertThat(client.isBroken()).isTrue();
    } finally {
      release.countDown();
    }
  }

  @Test
  void aCallerWaitingBehindTheReplyThreadFailsPromptlyWhenTheMirrorDies() throws Exception {
    LinkedBlockingQueue<BlockFrame.Request> seen = new LinkedBlockingQueue<>();
    CountDownLatch release = new CountDownLatch(1);
    try (FakeUnixMirror mirror = new FakeUnixMirror(answering(seen, release, true));
        BlockClient client =
            BlockClient.connect(mirror.uri(), "v", 4, options(Duration.ofSeconds(30)))) {
      long write = client.queueWrite(0, new byte[512]);
      client.push(); // no caller waits: the reply thread takes the turn and reads
      await().atMost(Duration.ofSeconds(5)).until(() -> client.answeredUpTo() >= write);
      client.queueWrite(512, new byte[512]);
      CompletableFuture<Long> flush = client.sendFlush(); // held by the mirror
      client.push();
      assertThat(seen.poll(5, TimeUnit.SECONDS)).isInstanceOf(BlockFrame.Write.class);
      assertThat(seen.poll(5, TimeUnit.SECONDS)).isInstanceOf(BlockFrame.Write.class);
      assertThat(seen.poll(5, TimeUnit.SECONDS)).isInstanceOf(BlockFrame.Flush.class);
      long t0 = System.nanoTime();
      mirror.killConnections();
      assertThatThrownBy(() -> flush.get(5, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOf(MirrorUnavailableException.class);
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
    } finally {
      release.countDown();
    }
  }

  @Test
  void aCallerReadingTheSocketStillTimesOut() throws Exception {
    LinkedBlockingQueue<BlockFrame.Request> seen = new LinkedBlockingQueue<>();
    CountDownLatch release = new CountDownLatch(1);
    try (FakeUnixMirror mirror = new FakeUnixMirror(answering(seen, release, true));
        BlockClient client =
            BlockClient.connect(mirror.uri(), "v", 4, options(Duration.ofMillis(300)))) {
      long t0 = System.nanoTime();
      assertThatThrownBy(client::flush).isInstanceOf(MirrorTimeoutException.class);
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(3));
    } finally {
      release.countDown();
    }
  }

  @Test
  void aStreamTheMirrorEndedWhileIdleIsReopenedAndNotWrittenTo() throws Exception {
    LinkedBlockingQueue<BlockFrame.Request> seen = new LinkedBlockingQueue<>();
    AtomicInteger connects = new AtomicInteger();
    try (FakeUnixMirror mirror = new FakeUnixMirror(answering(seen, new CountDownLatch(0), false));
        WriteBehind disk =
            new WriteBehind(
                () -> {
                  connects.incrementAndGet();
                  return BlockClient.connect(mirror.uri(), "v", 4, options(Duration.ofSeconds(30)));
                },
                new WriteBehind.Limits(
                    64, 1 << 20, Duration.ofSeconds(5), Duration.ofMillis(100), 64 << 10, 0))) {
      byte[] block = new byte[512];
      disk.write(0, block, 0, 512);
      disk.flush();
      // the mirror restarts between two flushes: nothing is in flight, and nobody reads the socket
      mirror.killConnections();
      Thread.sleep(20); // a restart takes time; a socket is probed 1 ms or more after its reply
      disk.write(512, block, 0, 512);
      disk.flush(); // the write goes on a new stream: the disk has not failed
      assertThat(connects.get()).isEqualTo(2);
      disk.flush();
    }
  }
}
