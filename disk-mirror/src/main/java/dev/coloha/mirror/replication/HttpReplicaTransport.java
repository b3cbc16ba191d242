package dev.coloha.mirror.replication;

import dev.coloha.wire.block.BlockErrors;
import dev.coloha.wire.http.HttpStream;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/**
 * The replica stream over HTTP: {@code POST <mirror>/v1/volumes/<volume>/replica?epoch=E}, frames
 * in the chunked request body, acknowledgements in the streamed response.
 */
public final class HttpReplicaTransport implements ReplicaTransport {
  private final String mirrorUrl;
  private final String volume;
  private final Duration connectTimeout;
  private final Duration streamTimeout;
  private final Map<String, String> headers;

  /**
   * @param headers request headers of every stream (the shared service token)
   */
  public HttpReplicaTransport(
      String mirrorUrl,
      String volume,
      Duration connectTimeout,
      Duration streamTimeout,
      Map<String, String> headers) {
    this.mirrorUrl = mirrorUrl.replaceAll("/+$", "");
    this.volume = volume;
    this.connectTimeout = connectTimeout;
    this.streamTimeout = streamTimeout;
    this.headers = Map.copyOf(headers);
  }

  @Override
  public Link open(long epoch) throws IOException {
    URI uri =
        URI.create(
            mirrorUrl
                + "/v1/volumes/"
                + URLEncoder.encode(volume, StandardCharsets.UTF_8)
                + "/replica?epoch="
                + epoch);
    HttpStream s = HttpStream.open("POST", uri, headers, connectTimeout, streamTimeout);
    try {
      int status = s.status();
      if (status != 200) {
        throw BlockErrors.fromProblem(status, s.responseText(16 << 10));
      }
      InputStream replies = new BufferedInputStream(s.response(), 1 << 14);
      OutputStream frames = s.body();
      return new Link() {
        @Override
        public OutputStream frames() {
          return frames;
        }

        @Override
        public InputStream replies() {
          return replies;
        }

        @Override
        public void close() {
          s.close();
        }
      };
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
  }

  @Override
  public String describe() {
    return mirrorUrl + " volume " + volume;
  }
}
