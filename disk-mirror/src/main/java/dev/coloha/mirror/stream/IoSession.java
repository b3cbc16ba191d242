package dev.coloha.mirror.stream;

import dev.coloha.api.ErrorKind;
import dev.coloha.mirror.volume.Volume;
import dev.coloha.mirror.volume.VolumeObserver;
import dev.coloha.wire.ColoException;
import dev.coloha.wire.CorruptStreamException;
import dev.coloha.wire.block.BlockErrors;
import dev.coloha.wire.block.BlockFrame;
import dev.coloha.wire.block.BlockFrameCodec;
import dev.coloha.wire.frame.FrameInput;
import dev.coloha.wire.frame.FrameOutput;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mirror's side of one I/O stream: request frames in, one reply per request out, in order. A
 * request that fails gets a FAIL reply with its typed error and nothing of it is applied; the
 * stream carries on. A malformed stream gets an ERROR frame and ends. Replies are flushed when no
 * further request is already read ({@link FrameBuffer#buffered}, no system call), so pipelined
 * requests share packets.
 */
public final class IoSession {
  private static final Logger log = LoggerFactory.getLogger(IoSession.class);

  /** How a stream ended. */
  public record Summary(long requests, long failures, boolean clean) {}

  private final Volume volume;
  private final VolumeObserver observer;
  private final int maxFrame;
  private long epoch;

  public IoSession(Volume volume, long epoch, VolumeObserver observer, int maxFrame) {
    this.volume = volume;
    this.epoch = epoch;
    this.observer = observer;
    this.maxFrame = maxFrame;
  }

  /** Checks the epoch before anything is sent (a refusal is still an HTTP error). */
  public BlockFrame.Hello attach() throws IOException {
    return volume.attach(epoch);
  }

  /** Serves the stream until END or the end of the request body. */
  public Summary serve(BlockFrame.Hello hello, InputStream body, OutputStream response)
      throws IOException {
    FrameBuffer buffered =
        body instanceof FrameBuffer b ? b : new FrameBuffer(body, 1 << 16); // not twice
    FrameInput in = FrameInput.unchecked(buffered, maxFrame); // block frames carry no checksum
    FrameOutput out = FrameOutput.unchecked(response);
    BlockFrameCodec reader = new BlockFrameCodec();
    BlockFrameCodec writer = new BlockFrameCodec();
    writer.write(hello, out);
    out.flush();
    long requests = 0;
    long failures = 0;
    try {
      while (true) {
        BlockFrame f = reader.read(in);
        if (f == null) {
          return new Summary(requests, failures, false);
        }
        switch (f) {
          case BlockFrame.End e -> {
            writer.write(e, out);
            out.flush();
            return new Summary(requests, failures, true);
          }
          case BlockFrame.Heartbeat h -> {
            volume.checkAlive(epoch); // ends the stream of a closed volume or an old epoch
            writer.write(new BlockFrame.Heartbeat(epoch), out);
          }
          case BlockFrame.Request r -> {
            requests++;
            BlockFrame reply = handle(r);
            if (reply instanceof BlockFrame.Fail) {
              failures++;
            }
            writer.write(reply, out);
          }
          default ->
              throw new CorruptStreamException(
                  "frame " + f.getClass().getSimpleName() + " is not an I/O request");
        }
        if (buffered.buffered() == 0) {
          out.flush();
          if (f instanceof BlockFrame.Flush) {
            buffered.pollForMore(); // the agent waited for this reply: its next request is near
          }
        }
      }
    } catch (ColoException e) {
      observer.rejected(volume.id(), e.type());
      log.warn("I/O stream of volume {} ends: {}", volume.id(), e.getMessage());
      writer.write(new BlockFrame.Error(e.type(), e.getMessage(), BlockErrors.details(e)), out);
      out.flush();
      return new Summary(requests, failures, false);
    }
  }

  private BlockFrame handle(BlockFrame.Request r) throws IOException {
    try {
      return switch (r) {
        case BlockFrame.Read rd ->
            new BlockFrame.Data(rd.id(), volume.read(epoch, rd.offset(), rd.length()));
        case BlockFrame.Write w -> {
          volume.write(epoch, w.offset(), w.data());
          yield new BlockFrame.Done(w.id(), 0);
        }
        case BlockFrame.Flush fl -> {
          volume.flush(epoch);
          yield new BlockFrame.Done(fl.id(), 0);
        }
        case BlockFrame.Barrier b ->
            new BlockFrame.Done(b.id(), volume.barrier(epoch, b.barrier()));
        case BlockFrame.Commit c -> new BlockFrame.Done(c.id(), volume.commit(epoch, c.barrier()));
        case BlockFrame.Failover fo -> {
          volume.failover(epoch, fo.epoch());
          epoch = fo.epoch();
          yield new BlockFrame.Done(fo.id(), fo.epoch());
        }
      };
    } catch (ColoException e) {
      observer.rejected(volume.id(), e.type());
      return new BlockFrame.Fail(r.id(), e.type(), e.getMessage(), BlockErrors.details(e));
    } catch (IllegalArgumentException e) {
      observer.rejected(volume.id(), ErrorKind.BAD_REQUEST.slug());
      return new BlockFrame.Fail(r.id(), ErrorKind.BAD_REQUEST.slug(), e.getMessage(), Map.of());
    }
  }
}
