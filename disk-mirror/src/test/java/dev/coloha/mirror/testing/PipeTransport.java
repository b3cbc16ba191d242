package dev.coloha.mirror.testing;

import dev.coloha.mirror.replication.ReplicaTransport;
import dev.coloha.mirror.stream.ReplicaReceiver;
import dev.coloha.mirror.volume.Volume;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * A replica stream inside one JVM: the secondary's {@link ReplicaReceiver} on a virtual thread at
 * the other end of two pipes, as the mirror's HTTP controller would run it. The secondary volume is
 * looked up at each connection, so a test can "restart" it (reopen it from disk).
 */
public final class PipeTransport implements ReplicaTransport {
  private final Supplier<Volume> secondary;
  private final int maxFrame;
  private volatile boolean down;
  private final Set<Link> links = ConcurrentHashMap.newKeySet();

  public PipeTransport(Supplier<Volume> secondary, int maxFrame) {
    this.secondary = secondary;
    this.maxFrame = maxFrame;
  }

  /** Breaks every open stream, as the death of either mirror process would. */
  public void dropLinks() {
    for (Link l : links) {
      l.close();
    }
  }

  /** While down, connections fail like an unreachable host. */
  public void down(boolean down) {
    this.down = down;
  }

  @Override
  public Link open(long epoch) throws IOException {
    Volume target = secondary.get();
    if (down || target == null) {
      throw new IOException("connection refused (test transport is down)");
    }
    ReplicaReceiver receiver = new ReplicaReceiver(target, epoch, maxFrame);
    Volume.ReplicaAttachment attachment = receiver.attach();
    Pipe requests = Pipe.open();
    Pipe replies = Pipe.open();
    InputStream serverIn = Channels.newInputStream(requests.source());
    OutputStream serverOut = Channels.newOutputStream(replies.sink());
    Thread.ofVirtual()
        .start(
            () -> {
              try (serverIn;
                  serverOut) {
                receiver.serve(attachment, serverIn, serverOut);
              } catch (IOException | RuntimeException e) {
                // the primary went away
              }
            });
    OutputStream frames = Channels.newOutputStream(requests.sink());
    InputStream acks = Channels.newInputStream(replies.source());
    Link link =
        new Link() {
          @Override
          public OutputStream frames() {
            return frames;
          }

          @Override
          public InputStream replies() {
            return acks;
          }

          @Override
          public void close() {
            links.remove(this);
            try {
              serverIn.close();
              serverOut.close();
            } catch (IOException ignored) {
              // closing anyway
            }
            try {
              frames.close();
            } catch (IOException ignored) {
              // closing anyway
            }
            try {
              acks.close();
            } catch (IOException ignored) {
              // closing anyway
            }
          }
        };
    links.add(link);
    return link;
  }

  @Override
  public String describe() {
    return "pipe";
  }
}
