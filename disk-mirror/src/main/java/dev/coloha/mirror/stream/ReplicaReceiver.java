package dev.coloha.mirror.stream;

import dev.coloha.mirror.volume.Volume;
import dev.coloha.wire.ColoException;
import dev.coloha.wire.CorruptStreamException;
import dev.coloha.wire.block.BlockErrors;
import dev.coloha.wire.block.BlockFrame;
import dev.coloha.wire.block.BlockFrameCodec;
import dev.coloha.wire.frame.FrameInput;
import dev.coloha.wire.frame.FrameOutput;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The secondary mirror's side of a replica stream: the primary's frames in, acknowledgements out.
 * Frames are taken in batches (whatever has arrived), then made durable as the flush policy says,
 * then acknowledged with the last sequence number held, so the primary can drop them. A typed
 * refusal (an older epoch, the volume took over, frames missing) is an ERROR frame, and the stream
 * ends.
 */
public final class ReplicaReceiver {
  private static final Logger log = LoggerFactory.getLogger(ReplicaReceiver.class);
  private static final int MAX_BATCH = 256;

  /** How a stream ended. */
  public record Summary(long frames, boolean clean) {}

  private final Volume volume;
  private final long epoch;
  private final int maxFrame;

  public ReplicaReceiver(Volume volume, long epoch, int maxFrame) {
    this.volume = volume;
    this.epoch = epoch;
    this.maxFrame = maxFrame;
  }

  /** Checks the epoch and role before anything is sent (a refusal is still an HTTP error). */
  public Volume.ReplicaAttachment attach() throws IOException {
    return volume.attachReplica(epoch);
  }

  public Summary serve(Volume.ReplicaAttachment attachment, InputStream body, OutputStream response)
      throws IOException {
    InputStream buffered = new BufferedInputStream(body, 1 << 16);
    FrameInput in = FrameInput.unchecked(buffered, maxFrame); // block frames carry no checksum
    FrameOutput out = FrameOutput.unchecked(response);
    BlockFrameCodec reader = new BlockFrameCodec();
    BlockFrameCodec writer = new BlockFrameCodec();
    writer.write(attachment.hello(), out);
    out.flush();
    long token = attachment.token();
    long frames = 0;
    int batch = 0;
    try {
      while (true) {
        BlockFrame f = reader.read(in);
        if (f == null) {
          return new Summary(frames, false);
        }
        switch (f) {
          case BlockFrame.End e -> {
            writer.write(volume.acknowledge(token, epoch), out);
            writer.write(e, out);
            out.flush();
            return new Summary(frames, true);
          }
          case BlockFrame.Heartbeat h -> volume.checkReplicaAlive(token, epoch);
          case BlockFrame.Replica r -> {
            volume.receive(token, epoch, r);
            frames++;
          }
          default ->
              throw new CorruptStreamException(
                  "frame " + f.getClass().getSimpleName() + " is not a replica frame");
        }
        batch++;
        if (buffered.available() == 0 || batch >= MAX_BATCH) {
          writer.write(volume.acknowledge(token, epoch), out);
          out.flush();
          batch = 0;
        }
      }
    } catch (ColoException e) {
      log.warn("replica stream of volume {} refused: {}", volume.id(), e.getMessage());
      writer.write(new BlockFrame.Error(e.type(), e.getMessage(), BlockErrors.details(e)), out);
      out.flush();
      return new Summary(frames, false);
    }
  }
}
