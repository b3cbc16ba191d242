package dev.coloha.mirror.replication;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * How a primary's mirror reaches the replica stream of its secondary's volume. The mirror uses
 * {@link HttpReplicaTransport}; unit tests connect two volumes in one JVM.
 */
public interface ReplicaTransport {
  /**
   * Opens a replica stream in {@code epoch}.
   *
   * @throws IOException if the secondary cannot be reached
   * @throws dev.coloha.wire.ColoException if the secondary refused the stream (a typed reason)
   */
  Link open(long epoch) throws IOException;

  /** Where the stream goes, for logs and status. */
  String describe();

  /** One open replica stream: frames out, acknowledgements in. */
  interface Link extends AutoCloseable {
    OutputStream frames();

    InputStream replies();

    @Override
    void close();
  }

  /** Makes the transport to a secondary named by its mirror's URL and its volume id. */
  @FunctionalInterface
  interface Factory {
    ReplicaTransport to(String mirrorUrl, String volume);
  }
}
