package dev.coloha.agent.replication;

import dev.coloha.wire.http.HttpStream;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Where a primary opens its checkpoint stream to a peer agent: the peer's own stream listener if it
 * has one (a blocking socket per stream, no hop through the HTTP server's poller), else its HTTP
 * server. Asked once per connection ({@code GET /v1/replica-stream}).
 */
final class StreamEndpoint {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private StreamEndpoint() {}

  /**
   * The stream's URI for {@code epoch}.
   *
   * @throws LinkRefusedException the peer answered neither a port nor 404
   */
  static URI locate(Peer peer, long epoch, Map<String, String> headers, Duration timeout)
      throws IOException {
    HttpStream q = HttpStream.open("GET", peer.streamEndpointUri(), headers, timeout, timeout);
    try {
      int status = q.status();
      String body = q.responseText(1000);
      if (status == 404) {
        return peer.streamUri(epoch); // no listener there (turned off, or an older agent)
      }
      int port = status == 200 ? portOf(body) : 0;
      if (port <= 0) {
        throw new LinkRefusedException(status, "stream endpoint: " + body);
      }
      return peer.streamUri(epoch, port);
    } finally {
      q.close();
    }
  }

  /** The {@code port} of a {@code GET /v1/replica-stream} answer, 0 if it has none. */
  static int portOf(String body) {
    try {
      return JSON.readTree(body).path("port").asInt(0);
    } catch (JacksonException e) {
      return 0;
    }
  }
}
