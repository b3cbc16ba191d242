package dev.coloha.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.testkit.spring.ServiceOnRandomPort;
import dev.coloha.testkit.spring.TemporaryDataDir;
import dev.coloha.wire.frame.FrameInput;
import dev.coloha.wire.frame.FrameOutput;
import dev.coloha.wire.http.HttpStream;
import dev.coloha.wire.io.IoFrame;
import dev.coloha.wire.io.IoFrameCodec;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

/** The VM input and output streams over real HTTP: framing, offsets, intervals, epochs. */
@TemporaryDataDir("colo.agent.data-dir")
@TestPropertySource(properties = "colo.agent.stream.heartbeat-interval=100ms")
class VmStreamsIT extends ServiceOnRandomPort {
  private HttpStream open(String method, String path) throws Exception {
    return HttpStream.open(
        method,
        URI.create("http://127.0.0.1:" + port + path),
        Map.of(),
        Duration.ofSeconds(5),
        Duration.ofSeconds(10));
  }

  /** The next frame that is not a heartbeat; fails after 50 heartbeats (5 s) of silence. */
  private static IoFrame next(FrameInput in, IoFrameCodec codec) throws Exception {
    for (int beats = 0; beats < 50; beats++) {
      IoFrame f = codec.read(in);
      if (!(f instanceof IoFrame.Heartbeat)) {
        return f;
      }
    }
    throw new AssertionError("only heartbeats for 5 s");
  }

  @Test
  void inputFramesReachTheGuestAndOutputComesBackTaggedWithOffsets() throws Exception {
    api.post("/v1/vms", "{\"id\":\"s1\",\"guest\":\"kv\",\"diskBytes\":0,\"start\":true}");
    try (HttpStream output = open("GET", "/v1/vms/s1/output?epoch=3");
        HttpStream input = open("POST", "/v1/vms/s1/input?epoch=3")) {
      assertThat(output.status()).isEqualTo(200);
      IoFrameCodec codec = new IoFrameCodec();
      FrameInput out = new FrameInput(output.response(), 1 << 20);
      assertThat(next(out, codec)).isEqualTo(new IoFrame.Interval(3, 0));

      FrameOutput in = new FrameOutput(input.body());
      IoFrameCodec enc = new IoFrameCodec();
      enc.write(new IoFrame.Open(7), in);
      enc.write(new IoFrame.Data(7, 0, "*1\r\n$4\r\nPI".getBytes(StandardCharsets.US_ASCII)), in);
      enc.write(new IoFrame.Data(7, 10, "NG\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII)), in);
      in.flush();

      ByteArrayOutputStream got = new ByteArrayOutputStream();
      long expectedOffset = 0;
      while (got.size() < 14) {
        IoFrame f = next(out, codec);
        assertThat(f).isInstanceOf(IoFrame.Output.class);
        IoFrame.Output o = (IoFrame.Output) f;
        assertThat(o.epoch()).isEqualTo(3);
        assertThat(o.interval()).isZero();
        assertThat(o.conn()).isEqualTo(7);
        assertThat(o.offset()).isEqualTo(expectedOffset);
        expectedOffset += o.bytes().length;
        got.writeBytes(o.bytes());
      }
      assertThat(got.toString(StandardCharsets.US_ASCII)).isEqualTo("+PONG\r\n+PONG\r\n");

      // a checkpoint moves the VM to the next interval, and the stream says so
      api.post("/v1/vms/s1/checkpoints", "{\"file\":\"s1.ckpt\"}");
      IoFrame f = next(out, codec);
      assertThat(f).isInstanceOf(IoFrame.Interval.class);
      long interval = ((IoFrame.Interval) f).interval();
      assertThat(interval).isEqualTo(1);
      enc.write(new IoFrame.Data(7, 20, "PING\r\n".getBytes(StandardCharsets.US_ASCII)), in);
      in.flush();
      IoFrame.Output o = (IoFrame.Output) next(out, codec);
      assertThat(o.interval()).isEqualTo(interval);
      assertThat(o.offset()).isEqualTo(14);

      // the guest closing is a CLOSED frame with the final offset
      enc.write(new IoFrame.Data(7, 26, "QUIT\r\n".getBytes(StandardCharsets.US_ASCII)), in);
      in.flush();
      IoFrame.Output ok = (IoFrame.Output) next(out, codec);
      assertThat(new String(ok.bytes(), StandardCharsets.US_ASCII)).isEqualTo("+OK\r\n");
      assertThat(next(out, codec)).isEqualTo(new IoFrame.Closed(3, interval, 7, 26));

      enc.write(new IoFrame.Close(7, 32), in);
      enc.write(new IoFrame.End(), in);
      input.body().close();
      assertThat(input.status()).isEqualTo(200);
      assertThat(input.responseText(1000)).contains("\"clean\":true");
    }
    api.delete("/v1/vms/s1");
  }

  @Test
  void anIdleOutputStreamCarriesHeartbeats() throws Exception {
    api.post("/v1/vms", "{\"id\":\"s2\",\"guest\":\"kv\",\"diskBytes\":0,\"start\":true}");
    try (HttpStream output = open("GET", "/v1/vms/s2/output?epoch=0")) {
      FrameInput out = new FrameInput(output.response(), 1 << 20);
      IoFrameCodec codec = new IoFrameCodec();
      assertThat(codec.read(out)).isInstanceOf(IoFrame.Interval.class);
      assertThat(codec.read(out)).isInstanceOf(IoFrame.Heartbeat.class);
      assertThat(codec.read(out)).isInstanceOf(IoFrame.Heartbeat.class);
    }
    api.delete("/v1/vms/s2");
  }

  @Test
  void aStaleEpochIsFencedOffWithTheCurrentEpoch() throws Exception {
    api.post("/v1/vms", "{\"id\":\"s3\",\"guest\":\"kv\",\"diskBytes\":0,\"start\":true}");
    try (HttpStream adopt = open("GET", "/v1/vms/s3/output?epoch=5")) {
      assertThat(adopt.status()).isEqualTo(200);
    }
    try (HttpStream stale = open("POST", "/v1/vms/s3/input?epoch=4")) {
      stale.body().close();
      assertThat(stale.status()).isEqualTo(409);
      String body = stale.responseText(4000);
      assertThat(body).contains("stale-epoch", "\"currentEpoch\":5", "\"offeredEpoch\":4");
    }
    api.delete("/v1/vms/s3");
  }

  @Test
  void aStandaloneVmHasNoStreams() throws Exception {
    api.post("/v1/vms", "{\"id\":\"s4\",\"guest\":\"kv\",\"diskBytes\":0,\"start\":true}");
    api.post("/v1/vms/s4/listener", "{\"port\":0}");
    try (HttpStream output = open("GET", "/v1/vms/s4/output?epoch=0")) {
      assertThat(output.status()).isEqualTo(409);
    }
    api.delete("/v1/vms/s4");
  }
}
