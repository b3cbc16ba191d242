package dev.coloha.mirror.replication;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.wire.block.BlockFrame;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ReplicationQueueTest {
  private static long write(ReplicationQueue q, int bytes, long timeoutMs) throws Exception {
    return q.append(
        seq -> new BlockFrame.ReplicaWrite(seq, -1, 0, new byte[bytes]),
        bytes,
        TimeUnit.MILLISECONDS.toNanos(timeoutMs));
  }

  @Test
  void framesAreNumberedWithoutGapsAndLeaveWhenAcknowledged() throws Exception {
    ReplicationQueue q = new ReplicationQueue(1 << 20, 100);
    assertThat(write(q, 512, 0)).isEqualTo(1);
    assertThat(write(q, 512, 0)).isEqualTo(2);
    assertThat(write(q, 512, 0)).isEqualTo(3);
    assertThat(q.next(0, 0).seq()).isEqualTo(1);
    assertThat(q.next(2, 0).seq()).isEqualTo(3);
    assertThat(q.next(3, 0)).isNull();
    q.ack(2);
    assertThat(q.snapshot().frames()).isEqualTo(1);
    assertThat(q.ackedSeq()).isEqualTo(2);
    assertThat(q.next(0, 0).seq()).as("resend from the oldest held").isEqualTo(3);
    assertThat(q.hasAfter(2)).isTrue();
    assertThat(q.hasAfter(3)).isFalse();
  }

  @Test
  void aFullQueueMakesTheWriterWaitUntilAnAcknowledgementOrItsTimeout() throws Exception {
    ReplicationQueue q = new ReplicationQueue(4 * (512 + 32), 100);
    for (int i = 0; i < 4; i++) {
      write(q, 512, 0);
    }
    assertThat(write(q, 512, 50)).as("no room in time: not queued, not numbered").isEqualTo(-1);
    CompletableFuture<Long> waiting =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return write(q, 512, 30_000);
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            },
            Thread.ofVirtual()::start);
    assertThat(waiting).isNotDone();
    q.ack(1);
    assertThat(waiting.get(30, TimeUnit.SECONDS)).isEqualTo(5);
  }

  @Test
  void closingWakesEveryoneAndRefusesMore() throws Exception {
    ReplicationQueue q = new ReplicationQueue(1 << 20, 1);
    write(q, 512, 0);
    CompletableFuture<Long> waiting =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return write(q, 512, 30_000);
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            },
            Thread.ofVirtual()::start);
    q.close();
    assertThat(waiting.get(30, TimeUnit.SECONDS)).isEqualTo(-1);
    assertThat(q.next(0, 1_000_000)).isNull();
    assertThat(write(q, 512, 0)).isEqualTo(-1);
  }
}
