package dev.coloha.agent.stream;

import dev.coloha.microvm.MicroVm;
import dev.coloha.microvm.conn.InputEvent;
import dev.coloha.wire.CorruptStreamException;
import dev.coloha.wire.frame.FrameInput;
import dev.coloha.wire.io.IoFrame;
import dev.coloha.wire.io.IoFrameCodec;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;

/**
 * The stream side of one VM: its output sink (for the output stream) and the input pump (for the
 * input stream), with flow control between them.
 */
public final class VmStreams {
  private final MicroVm vm;
  private final StreamOutputSink sink;
  private final InputFlow flow;
  private final int maxFrame;

  public VmStreams(MicroVm vm, StreamOutputSink sink, InputFlow flow, int maxFrame) {
    this.vm = vm;
    this.sink = sink;
    this.flow = flow;
    this.maxFrame = maxFrame;
  }

  public StreamOutputSink sink() {
    return sink;
  }

  public InputFlow flow() {
    return flow;
  }

  /** What an input stream delivered. */
  public record InputSummary(long frames, long dataBytes, boolean clean) {}

  /**
   * Feeds input frames to the VM until END or the end of the stream. Blocks while the guest is
   * behind by more than the input high watermark.
   */
  public InputSummary pump(InputStream body) throws IOException {
    FrameInput in = new FrameInput(new BufferedInputStream(body, 1 << 16), maxFrame);
    IoFrameCodec codec = new IoFrameCodec();
    long frames = 0;
    long bytes = 0;
    while (true) {
      IoFrame f = codec.read(in);
      if (f == null) {
        return new InputSummary(frames, bytes, false);
      }
      frames++;
      switch (f) {
        case IoFrame.Open o -> vm.submit(new InputEvent.Open(o.conn()));
        case IoFrame.Data d -> {
          awaitRoom();
          vm.submit(new InputEvent.Data(d.conn(), d.offset(), d.bytes()));
          flow.submitted(d.conn(), d.offset() + d.bytes().length);
          bytes += d.bytes().length;
        }
        case IoFrame.Close c -> vm.submit(new InputEvent.Close(c.conn(), c.endOffset()));
        case IoFrame.Heartbeat h -> {
          // keeps the stream alive
        }
        case IoFrame.End e -> {
          return new InputSummary(frames, bytes, true);
        }
        default ->
            throw new CorruptStreamException(
                "frame " + f.getClass().getSimpleName() + " is not input");
      }
    }
  }

  private void awaitRoom() throws InterruptedIOException {
    try {
      flow.awaitRoom();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while the guest was behind");
    }
  }

  /** Serves the output stream to one subscriber until it goes away or is replaced. */
  public void serveOutput(OutputStream out) throws IOException {
    sink.serve(out);
  }
}
