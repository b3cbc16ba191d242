package dev.coloha.agent.testing;

import dev.coloha.wire.frame.FrameInput;
import dev.coloha.wire.frame.FrameOutput;
import dev.coloha.wire.http.HttpStream;
import dev.coloha.wire.io.IoFrame;
import dev.coloha.wire.io.IoFrameCodec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Plays the proxy for one VM in tests: feeds its input stream and records its output stream (every
 * OUTPUT frame, with interval and offset).
 */
public final class ReplicaIo implements AutoCloseable {
  private final HttpStream input;
  private final HttpStream output;
  private final FrameOutput in;
  private final IoFrameCodec encoder = new IoFrameCodec();
  private final Map<Integer, List<IoFrame.Output>> frames = new ConcurrentHashMap<>();
  private final List<IoFrame> control = new CopyOnWriteArrayList<>();
  private final Map<Integer, Long> sent = new ConcurrentHashMap<>();
  private volatile Throwable failure;

  public ReplicaIo(String agentUrl, String vm, long epoch) {
    try {
      output =
          HttpStream.open(
              "GET",
              URI.create(agentUrl + "/v1/vms/" + vm + "/output?epoch=" + epoch),
              Map.of(),
              Duration.ofSeconds(5),
              Duration.ofSeconds(30));
      input =
          HttpStream.open(
              "POST",
              URI.create(agentUrl + "/v1/vms/" + vm + "/input?epoch=" + epoch),
              Map.of(),
              Duration.ofSeconds(5),
              Duration.ofSeconds(30));
      if (output.status() != 200) {
        throw new IllegalStateException(
            "output stream refused: " + output.status() + " " + output.responseText(2000));
      }
      in = new FrameOutput(input.body());
      FrameInput out = new FrameInput(output.response(), 1 << 22);
      Thread.ofVirtual().name("replica-io-" + vm).start(() -> read(out));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void read(FrameInput out) {
    IoFrameCodec codec = new IoFrameCodec();
    try {
      while (true) {
        IoFrame f = codec.read(out);
        if (f == null || f instanceof IoFrame.End) {
          return;
        }
        if (f instanceof IoFrame.Output o) {
          frames.computeIfAbsent(o.conn(), c -> new CopyOnWriteArrayList<>()).add(o);
        } else if (!(f instanceof IoFrame.Heartbeat)) {
          control.add(f);
        }
      }
    } catch (IOException | RuntimeException e) {
      failure = e;
    }
  }

  public synchronized void open(int conn) {
    write(new IoFrame.Open(conn));
    sent.put(conn, 0L);
  }

  public synchronized void send(int conn, String text) {
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    long at = sent.getOrDefault(conn, 0L);
    write(new IoFrame.Data(conn, at, b));
    sent.put(conn, at + b.length);
  }

  public synchronized void close(int conn) {
    write(new IoFrame.Close(conn, sent.getOrDefault(conn, 0L)));
  }

  private void write(IoFrame f) {
    try {
      encoder.write(f, in);
      in.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Output of {@code conn} in frames of interval >= {@code minInterval}, in arrival order. */
  public String text(int conn, long minInterval) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (IoFrame.Output o : frames.getOrDefault(conn, List.of())) {
      if (o.interval() >= minInterval) {
        b.writeBytes(o.bytes());
      }
    }
    return b.toString(StandardCharsets.ISO_8859_1);
  }

  public String text(int conn) {
    return text(conn, Long.MIN_VALUE);
  }

  /** Output frames of {@code conn}. */
  public List<IoFrame.Output> frames(int conn) {
    return new ArrayList<>(frames.getOrDefault(conn, List.of()));
  }

  /** INTERVAL, CLOSED, CRASHED frames seen. */
  public List<IoFrame> control() {
    return List.copyOf(control);
  }

  public Throwable failure() {
    return failure;
  }

  @Override
  public void close() {
    input.close();
    output.close();
  }
}
