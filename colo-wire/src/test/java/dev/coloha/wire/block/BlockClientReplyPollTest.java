package dev.coloha.wire.block;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coloha.api.mirror.VolumeRole;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A caller waiting for its reply on the Unix-domain socket polls it for {@code replyPoll} before it
 * sleeps in a blocking read (issue 18: a sleeping thread's wake-up on an idle CPU of a VM costs
 * tens of µs per {@code appendfsync always} command). The mirror here answers a flush late, as a
 * slow {@code fdatasync} would.
 */
class BlockClientReplyPollTest {
  private static final BlockFrame.Hello HELLO =
      new BlockFrame.Hello(4, 1 << 20, VolumeRole.PRIMARY, 1 << 20);

  private static BlockClient.Options options(Duration replyPoll) {
    return new BlockClient.Options(
        Duration.ofSeconds(2),
        Duration.ofSeconds(30),
        Duration.ofSeconds(5),
        Duration.ofSeconds(30),
        (1 << 20) + 64,
        Map.of(),
        replyPoll);
  }

  /**
   * Answers every request at once except a flush, answered {@code flushDelayMillis} later (or, with
   * {@code release} not yet counted down, never: the test kills the connection); writes' lengths go
   * to {@code writes}.
   */
  private static FakeUnixMirror.Script slowFlushes(
      long flushDelayMillis, CountDownLatch release, LinkedBlockingQueue<Integer> writes) {
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
          case BlockFrame.Flush fl -> {
            try {
              release.await();
              Thread.sleep(flushDelayMillis); // a slow fdatasync
            } catch (InterruptedException e) {
              return;
            }
            codec.write(new BlockFrame.Done(fl.id(), 0), out);
          }
          case BlockFrame.Write w -> {
            writes.add(w.data().length);
            codec.write(new BlockFrame.Done(w.id(), 0), out);
          }
          case BlockFrame.Request r -> codec.write(new BlockFrame.Done(r.id(), 0), out);
          default -> {
            return;
          }
        }
        out.flush();
      }
    };
  }

  /**
   * Waits until the reply thread, having read the first reply, waits to be woken. Until then it may
   * take the turn to read a caller's next reply itself (it passed the turn and found a reply
   * awaited before the caller came for it: a race of one wake-up, not an error).
   */
  private static void awaitReplyThreadParked(BlockClient client) {
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(client::replyThreadParked);
  }

  @Test
  void aReplyThatComesWithinThePollIsFoundWithoutSleepingAndWithNoPollNeverIs() throws Exception {
    for (Duration poll : new Duration[] {Duration.ofSeconds(5), Duration.ZERO}) {
      try (FakeUnixMirror mirror =
              new FakeUnixMirror(
                  slowFlushes(20, new CountDownLatch(0), new LinkedBlockingQueue<>()));
          BlockClient client = BlockClient.connect(mirror.uri(), "v", 4, options(poll))) {
        client.flush(); // the reply thread, just started, may read this one
        awaitReplyThreadParked(client); // else it may take the next turn before the caller does
        long before = client.repliesPolled();
        for (int i = 0; i < 5; i++) {
          long write = client.queueWrite(512L * i, new byte[512]);
          client.flush();
          assertThat(client.answeredUpTo()).isGreaterThan(write);
        }
        if (poll.isZero()) {
          assertThat(client.repliesPolled()).isZero();
        } else {
          // each flush's reply came 20 ms after it went out: found by the polling caller
          assertThat(client.repliesPolled() - before).isGreaterThanOrEqualTo(5);
        }
      }
    }
  }

  @Test
  void aReplySlowerThanThePollIsReadByTheCallerSleepingInTheRead() throws Exception {
    try (FakeUnixMirror mirror =
            new FakeUnixMirror(
                slowFlushes(200, new CountDownLatch(0), new LinkedBlockingQueue<>()));
        BlockClient client =
            BlockClient.connect(mirror.uri(), "v", 4, options(Duration.ofMillis(1)))) {
      client.flush(); // the reply thread, just started, may read this one
      awaitReplyThreadParked(client); // else it may take the next turn before the caller does
      long before = client.repliesReadByCallers();
      for (int i = 0; i < 3; i++) {
        client.flush();
      }
      assertThat(client.repliesPolled()).isZero();
      assertThat(client.repliesReadByCallers() - before).isGreaterThanOrEqualTo(3);
    }
  }

  @Test
  void aMirrorKilledWhileACallerPollsFailsItAtOnceNotAfterThePoll() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    try (FakeUnixMirror mirror =
            new FakeUnixMirror(slowFlushes(0, release, new LinkedBlockingQueue<>()));
        BlockClient client =
            BlockClient.connect(mirror.uri(), "v", 4, options(Duration.ofSeconds(25)))) {
      CompletableFuture<Long> flush = client.sendFlush(); // never answered
      CompletableFuture<Void> waiting =
          CompletableFuture.runAsync(
              () -> {
                try {
                  flush.get(30, TimeUnit.SECONDS); // polls for up to 25 s
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      Thread.sleep(200); // the caller is polling
      long t0 = System.nanoTime();
      mirror.killConnections();
      assertThatThrownBy(() -> waiting.get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .rootCause()
          .isInstanceOf(MirrorUnavailableException.class);
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
      assertThat(client.isBroken()).isTrue();
    } finally {
      release.countDown();
    }
  }

  @Test
  void writesSentWhileACallerPollsReachTheMirrorWhole() throws Exception {
    LinkedBlockingQueue<Integer> writes = new LinkedBlockingQueue<>();
    try (FakeUnixMirror mirror =
            new FakeUnixMirror(slowFlushes(300, new CountDownLatch(0), writes));
        BlockClient client =
            BlockClient.connect(mirror.uri(), "v", 4, options(Duration.ofSeconds(5)))) {
      // the caller polls (the socket non-blocking for each look) while another thread sends
      // writes larger than a socket buffer: none may go out in part
      CompletableFuture<Void> flushing = CompletableFuture.runAsync(client::flush);
      long last = 0;
      for (int i = 0; i < 64; i++) {
        last = client.queueWrite(65536L * (i % 8), new byte[65536]);
      }
      client.push();
      flushing.get(10, TimeUnit.SECONDS);
      client.flush();
      assertThat(client.answeredUpTo()).isGreaterThan(last);
      assertThat(writes).hasSize(64).containsOnly(65536);
      assertThat(client.isBroken()).isFalse();
    }
  }
}
