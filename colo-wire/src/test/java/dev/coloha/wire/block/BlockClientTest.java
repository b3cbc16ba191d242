package dev.coloha.wire.block;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.coloha.api.mirror.VolumeRole;
import dev.coloha.wire.ColoException;
import dev.coloha.wire.LimitExceededException;
import dev.coloha.wire.StaleEpochException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class BlockClientTest {
  private static final BlockFrame.Hello HELLO =
      new BlockFrame.Hello(4, 1 << 20, VolumeRole.PRIMARY, 1 << 20);

  private static BlockClient.Options options(Duration requestTimeout) {
    return new BlockClient.Options(
        Duration.ofSeconds(2),
        requestTimeout,
        Duration.ofMillis(50),
        Duration.ofSeconds(10),
        (1 << 20) + 64,
        Map.of());
  }

  @Test
  void pipelinedRequestsAreMatchedToRepliesByIdWhateverTheirOrder() throws Exception {
    AtomicReference<String> requestLine = new AtomicReference<>();
    FakeMirror.Script script =
        (line, in, out, codec) -> {
          requestLine.set(line);
          codec.write(HELLO, out);
          out.flush();
          List<BlockFrame.Request> held = new ArrayList<>();
          while (true) {
            BlockFrame f = codec.read(in);
            if (f == null || f instanceof BlockFrame.End) {
              return;
            }
            if (f instanceof BlockFrame.Request r) {
              held.add(r);
            }
            if (held.size() == 2) { // answer two at a time, the second first
              for (BlockFrame.Request r : List.of(held.get(1), held.get(0))) {
                BlockFrame reply =
                    r instanceof BlockFrame.Read rd
                        ? new BlockFrame.Data(rd.id(), filled(rd.length(), (byte) rd.offset()))
                        : new BlockFrame.Done(
                            r.id(), r instanceof BlockFrame.Barrier b ? b.barrier() : 0);
                codec.write(reply, out);
              }
              out.flush();
              held.clear();
            }
          }
        };
    try (FakeMirror mirror = new FakeMirror("HTTP/1.1 200 OK", null, script);
        BlockClient client =
            BlockClient.connect(mirror.uri(), "vol-1", 4, options(Duration.ofSeconds(10)))) {
      assertThat(client.sizeBytes()).isEqualTo(1 << 20);
      assertThat(client.role()).isEqualTo(VolumeRole.PRIMARY);
      assertThat(requestLine.get()).isEqualTo("POST /v1/volumes/vol-1/io?epoch=4 HTTP/1.1");
      CompletableFuture<Void> write = client.writeAsync(0, new byte[512], 0, 512);
      byte[] dst = new byte[1024];
      client.read(7, dst, 0, 1024);
      write.get(10, TimeUnit.SECONDS);
      assertThat(dst).isEqualTo(filled(1024, (byte) 7));
      CompletableFuture<Void> flush =
          CompletableFuture.runAsync(client::flush, Thread.ofVirtual()::start);
      client.barrier(12);
      flush.get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void failRepliesBecomeTypedExceptionsAndTheStreamGoesOn() throws Exception {
    FakeMirror.Script script =
        (line, in, out, codec) -> {
          codec.write(HELLO, out);
          out.flush();
          int n = 0;
          while (true) {
            BlockFrame f = codec.read(in);
            if (f instanceof BlockFrame.Heartbeat) {
              continue;
            }
            if (!(f instanceof BlockFrame.Request r)) {
              return;
            }
            ColoExceptionSupplier e =
                switch (n++) {
                  case 0 -> () -> new StaleEpochException(9, 4);
                  case 1 -> () -> new LimitExceededException("request bytes", 2 << 20, 1 << 20);
                  case 2 -> () -> new SectorRangeException(100, 512, 1 << 20);
                  default -> null;
                };
            if (e == null) {
              codec.write(new BlockFrame.Done(r.id(), 0), out);
            } else {
              var x = e.get();
              codec.write(
                  new BlockFrame.Fail(r.id(), x.type(), x.getMessage(), BlockErrors.details(x)),
                  out);
            }
            out.flush();
          }
        };
    try (FakeMirror mirror = new FakeMirror("HTTP/1.1 200 OK", null, script);
        BlockClient client =
            BlockClient.connect(mirror.uri(), "v", 4, options(Duration.ofSeconds(10)))) {
      assertThatThrownBy(() -> client.write(0, new byte[512], 0, 512))
          .isInstanceOfSatisfying(
              StaleEpochException.class, e -> assertThat(e.currentEpoch()).isEqualTo(9));
      assertThatThrownBy(() -> client.flush())
          .isInstanceOfSatisfying(
              LimitExceededException.class, e -> assertThat(e.maximum()).isEqualTo(1 << 20));
      assertThatThrownBy(() -> client.barrier(1)).isInstanceOf(SectorRangeException.class);
      client.flush();
      assertThat(client.isBroken()).isFalse();
    }
  }

  /** A typed error the fake mirror answers with. */
  interface ColoExceptionSupplier {
    ColoException get();
  }

  @Test
  void aRefusedStreamIsItsProblemDocumentsTypedException() throws Exception {
    String problem =
        "{\"type\":\"https://coloha.dev/problems/stale-epoch\",\"status\":409,"
            + "\"detail\":\"epoch 1 is stale; current epoch is 3\",\"currentEpoch\":3,"
            + "\"offeredEpoch\":1}";
    try (FakeMirror mirror = new FakeMirror("HTTP/1.1 409 Conflict", problem, null)) {
      assertThatThrownBy(
              () -> BlockClient.connect(mirror.uri(), "v", 1, options(Duration.ofSeconds(5))))
          .isInstanceOfSatisfying(
              StaleEpochException.class, e -> assertThat(e.currentEpoch()).isEqualTo(3));
    }
  }

  @Test
  void noReplyIsATimeoutAndALostConnectionFailsEveryCall() throws Exception {
    AtomicInteger heartbeats = new AtomicInteger();
    FakeMirror.Script script =
        (line, in, out, codec) -> {
          codec.write(HELLO, out);
          out.flush();
          while (true) {
            BlockFrame f = codec.read(in);
            if (f instanceof BlockFrame.Heartbeat) {
              heartbeats.incrementAndGet();
            } else if (f instanceof BlockFrame.Barrier) {
              return; // the mirror dies
            } else if (f == null) {
              return;
            }
          }
        };
    try (FakeMirror mirror = new FakeMirror("HTTP/1.1 200 OK", null, script);
        BlockClient client =
            BlockClient.connect(mirror.uri(), "v", 1, options(Duration.ofMillis(300)))) {
      assertThatThrownBy(client::flush).isInstanceOf(MirrorTimeoutException.class);
      await().atMost(Duration.ofSeconds(10)).until(() -> heartbeats.get() >= 2);
      assertThatThrownBy(() -> client.barrier(1))
          .isInstanceOfAny(MirrorUnavailableException.class, MirrorTimeoutException.class);
      await().atMost(Duration.ofSeconds(10)).until(client::isBroken);
      assertThatThrownBy(client::flush).isInstanceOf(MirrorUnavailableException.class);
    }
    assertThatThrownBy(
            () ->
                BlockClient.connect(
                    URI.create("http://127.0.0.1:1"), "v", 1, options(Duration.ofSeconds(1))))
        .isInstanceOf(MirrorUnavailableException.class);
  }

  private static byte[] filled(int n, byte b) {
    byte[] a = new byte[n];
    Arrays.fill(a, b);
    return a;
  }
}
