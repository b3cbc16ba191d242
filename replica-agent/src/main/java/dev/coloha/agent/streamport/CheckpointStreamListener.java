package dev.coloha.agent.streamport;

import dev.coloha.agent.replication.ReplicationService;
import dev.coloha.api.ErrorKind;
import dev.coloha.web.ProblemAdvice;
import dev.coloha.wire.ColoException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

/**
 * The agent's checkpoint-stream listener: a plain blocking HTTP/1.1 server for one request, {@code
 * POST /v1/vms/{id}/replica-stream?epoch=N} with a chunked body, the same stream the HTTP server
 * also serves (docs/protocol.md). Each stream gets a platform thread that blocks on its socket
 * itself: the bytes of a checkpoint reach the secondary without the HTTP server's poller hop and
 * buffer copy (about 0.5 ms per checkpoint on a 2-core host, and a third of the transfer time of a
 * large one). Errors are answered as problem details, as everywhere else; the shared token is
 * required when one is configured.
 */
public final class CheckpointStreamListener implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CheckpointStreamListener.class);

  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** Longest request head accepted. */
  static final int MAX_HEAD = 16 * 1024;

  private static final Pattern TARGET =
      Pattern.compile(
          "/v1/vms/([A-Za-z0-9][A-Za-z0-9._-]{0,127})/replica-stream\\?(?:[^#]*&)?epoch=(\\d{1,18})(?:&[^#]*)?");

  /** Opens the checkpoint stream of a VM in an epoch: the agent's {@link ReplicationService}. */
  @FunctionalInterface
  public interface StreamOpener {
    /**
     * @throws ColoException the stream is refused (stale epoch, unknown VM...)
     */
    ReplicationService.StreamServer open(String vm, long epoch);
  }

  private final StreamOpener replication;
  private final byte[] expectedAuthorization;
  private final int readTimeoutMillis;
  private final Semaphore slots;
  private final int maxStreams;
  private final ServerSocket server;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final AtomicInteger ids = new AtomicInteger();
  private volatile boolean closed;

  /**
   * @param replication opens a stream ({@code ReplicationService::openStream})
   * @param token the shared token every stream must present, or null when authentication is off
   * @param readTimeout silence tolerated on a stream (the primary sends heartbeats meanwhile)
   * @param maxStreams streams served at once; more are refused with 503
   */
  public CheckpointStreamListener(
      StreamOpener replication,
      InetAddress bind,
      int port,
      String token,
      Duration readTimeout,
      int maxStreams)
      throws IOException {
    this.replication = replication;
    this.expectedAuthorization =
        token == null ? null : ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
    this.readTimeoutMillis = (int) readTimeout.toMillis();
    this.maxStreams = maxStreams;
    this.slots = new Semaphore(maxStreams);
    this.server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(new InetSocketAddress(bind, port), 64);
    Thread.ofPlatform().daemon().name("checkpoint-stream-accept").start(this::acceptLoop);
    log.info("checkpoint streams on port {}", server.getLocalPort());
  }

  public int port() {
    return server.getLocalPort();
  }

  private void acceptLoop() {
    while (!closed) {
      Socket s;
      try {
        s = server.accept();
      } catch (IOException e) {
        if (!closed) {
          log.warn("checkpoint stream listener: accept failed: {}", e.getMessage());
          pause(); // e.g. out of file descriptors: do not spin
        }
        continue;
      }
      // a connection holds a slot from its accept on (a thread each): at most max-streams
      // threads, also while connections have not sent their request yet
      if (!slots.tryAcquire()) {
        try {
          s.setSoTimeout(1000);
          problem(
              s.getOutputStream(),
              503,
              ErrorKind.UNAVAILABLE.slug(),
              "this agent serves " + maxStreams + " checkpoint streams at most",
              Map.of());
        } catch (IOException ignored) {
          // the client is gone
        }
        closeQuietly(s);
        continue;
      }
      open.add(s);
      Thread.ofPlatform()
          .daemon()
          .name("checkpoint-stream-" + ids.incrementAndGet())
          .start(
              () -> {
                try {
                  handle(s);
                } finally {
                  open.remove(s);
                  closeQuietly(s);
                  slots.release();
                }
              });
    }
  }

  private void handle(Socket s) {
    OutputStream out;
    InputStream in;
    try {
      s.setTcpNoDelay(true);
      s.setSoTimeout(readTimeoutMillis);
      in = new BufferedInputStream(s.getInputStream(), 1 << 16);
      out = new BufferedOutputStream(s.getOutputStream(), 1 << 12);
    } catch (IOException e) {
      return;
    }
    try {
      RequestHead head;
      try {
        head = RequestHead.read(in, MAX_HEAD);
      } catch (IOException e) {
        problem(
            out,
            400,
            ErrorKind.BAD_REQUEST.slug(),
            "not an HTTP/1.1 request: " + e.getMessage(),
            Map.of());
        return;
      }
      String auth = head.header("authorization");
      if (expectedAuthorization != null
          && !MessageDigest.isEqual(
              expectedAuthorization,
              auth == null ? new byte[0] : auth.getBytes(StandardCharsets.UTF_8))) {
        problem(
            out,
            401,
            ErrorKind.UNAUTHORIZED.slug(),
            (auth == null ? "missing Authorization header" : "wrong token")
                + ": every COLO HA API needs 'Authorization: Bearer <colo.security.token>'",
            Map.of());
        return;
      }
      Matcher m = TARGET.matcher(head.target());
      if (!m.matches()) {
        problem(
            out,
            404,
            ErrorKind.NOT_FOUND.slug(),
            "this port serves only POST /v1/vms/{id}/replica-stream?epoch=N",
            Map.of());
        return;
      }
      if (!head.method().equals("POST")) {
        problem(
            out,
            405,
            ErrorKind.METHOD_NOT_ALLOWED.slug(),
            "a checkpoint stream is a POST",
            Map.of());
        return;
      }
      String te = head.header("transfer-encoding");
      if (te == null || !te.toLowerCase(Locale.ROOT).contains("chunked")) {
        problem(
            out,
            400,
            ErrorKind.BAD_REQUEST.slug(),
            "a checkpoint stream has a chunked request body",
            Map.of());
        return;
      }
      ReplicationService.StreamServer stream;
      try {
        stream = replication.open(m.group(1), Long.parseLong(m.group(2)));
      } catch (ColoException e) {
        problem(out, e.kind().status(), e.type(), e.getMessage(), e.details());
        return;
      }
      log.info(
          "checkpoint stream for VM {} (epoch {}) from {}",
          m.group(1),
          m.group(2),
          s.getRemoteSocketAddress());
      out.write(
          ("HTTP/1.1 200 OK\r\n"
                  + "Content-Type: application/octet-stream\r\n"
                  + "Connection: close\r\n\r\n")
              .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      stream.serve(new ChunkedBodyInputStream(in), out);
      out.flush();
    } catch (SocketException e) {
      // the peer went away or the listener closed: the stream's own handling has run
    } catch (IOException | RuntimeException e) {
      if (!closed) {
        log.warn("checkpoint stream from {} failed: {}", s.getRemoteSocketAddress(), e.toString());
      }
    }
  }

  /** Answers an RFC 9457 problem document and ends the exchange. */
  private static void problem(
      OutputStream out, int status, String type, String detail, Map<String, Object> details) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("type", ProblemAdvice.TYPE_BASE + type);
    doc.put("title", ProblemAdvice.title(type));
    doc.put("status", status);
    doc.put("detail", detail);
    doc.putAll(details);
    byte[] body = JSON.writeValueAsBytes(doc);
    String head =
        "HTTP/1.1 "
            + status
            + " "
            + type
            + "\r\nContent-Type: application/problem+json\r\nContent-Length: "
            + body.length
            + (status == 401 ? "\r\nWWW-Authenticate: Bearer realm=\"colo-ha\"" : "")
            + "\r\nConnection: close\r\n\r\n";
    try {
      out.write(head.getBytes(StandardCharsets.ISO_8859_1));
      out.write(body);
      out.flush();
    } catch (IOException e) {
      // the client is gone
    }
  }

  private static void pause() {
    try {
      Thread.sleep(50);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closing
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException ignored) {
      // closing
    }
    open.forEach(CheckpointStreamListener::closeQuietly);
  }
}
