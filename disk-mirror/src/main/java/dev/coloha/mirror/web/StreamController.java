package dev.coloha.mirror.web;

import dev.coloha.mirror.config.MirrorProperties;
import dev.coloha.mirror.metrics.MirrorMetrics;
import dev.coloha.mirror.stream.IoSession;
import dev.coloha.mirror.stream.ReplicaReceiver;
import dev.coloha.mirror.volume.Volume;
import dev.coloha.mirror.volume.Volumes;
import dev.coloha.wire.block.BlockFrame;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The volumes' long-lived binary streams (docs/disk-mirror.md), full duplex: request frames in the
 * chunked request body, replies in the streamed response. Both are fenced by epoch; a refusal
 * before the stream starts is a problem document.
 */
@RestController
@RequestMapping("/v1/volumes/{id}")
@Tag(name = "streams")
public class StreamController {
  private static final Logger log = LoggerFactory.getLogger(StreamController.class);
  private final Volumes volumes;
  private final MirrorMetrics metrics;
  private final int maxFrame;

  public StreamController(Volumes volumes, MirrorMetrics metrics, MirrorProperties props) {
    this.volumes = volumes;
    this.metrics = metrics;
    this.maxFrame = (int) props.io().maxFrame().toBytes();
  }

  @PostMapping(
      value = "/io",
      consumes = MediaType.APPLICATION_OCTET_STREAM_VALUE,
      produces = MediaType.APPLICATION_OCTET_STREAM_VALUE)
  @Operation(
      summary =
          "I/O stream of the volume's VM (agent to local mirror): READ, WRITE, FLUSH, BARRIER,"
              + " COMMIT, FAILOVER requests; HELLO, DATA, DONE, FAIL replies (long-lived)")
  public void io(
      @PathVariable String id,
      @RequestParam long epoch,
      HttpServletRequest request,
      HttpServletResponse response)
      throws IOException {
    Volume v = volumes.get(id);
    IoSession session = new IoSession(v, epoch, metrics, maxFrame);
    BlockFrame.Hello hello = session.attach();
    stream(response);
    try {
      IoSession.Summary s =
          session.serve(hello, request.getInputStream(), response.getOutputStream());
      log.debug("I/O stream of volume {} ended: {}", id, s);
    } catch (IOException e) {
      log.info("I/O stream of volume {} lost: {}", id, e.toString()); // the agent went away
    }
  }

  @PostMapping(
      value = "/replica",
      consumes = MediaType.APPLICATION_OCTET_STREAM_VALUE,
      produces = MediaType.APPLICATION_OCTET_STREAM_VALUE)
  @Operation(
      summary =
          "Replica stream (primary's mirror to secondary's mirror): WRITE and BARRIER frames"
              + " numbered in order, resync frames, heartbeats; HELLO and ACK replies"
              + " (long-lived)")
  public void replica(
      @PathVariable String id,
      @RequestParam long epoch,
      HttpServletRequest request,
      HttpServletResponse response)
      throws IOException {
    Volume v = volumes.get(id);
    ReplicaReceiver receiver = new ReplicaReceiver(v, epoch, maxFrame);
    Volume.ReplicaAttachment attachment = receiver.attach();
    stream(response);
    // the stream is read on a platform thread of its own, not on the request's virtual thread: a
    // blocking read then waits in the kernel and Tomcat's poller wakes the reader directly, without
    // a carrier thread's hand-offs per wake-up (issue 18: futex and epoll calls per replicated
    // write)
    AsyncContext async = request.startAsync();
    async.setTimeout(0); // long-lived: the frames' heartbeats watch it, not a servlet timeout
    InputStream frames = request.getInputStream();
    OutputStream replies = response.getOutputStream();
    Thread.ofPlatform()
        .daemon()
        .name("replica-receiver-" + id)
        .start(
            () -> {
              try {
                ReplicaReceiver.Summary s = receiver.serve(attachment, frames, replies);
                log.debug("replica stream of volume {} ended: {}", id, s);
              } catch (IOException e) {
                // the primary went away
                log.info("replica stream of volume {} lost: {}", id, e.toString());
              } catch (RuntimeException e) {
                log.warn("replica stream of volume {} failed", id, e);
              } finally {
                async.complete();
              }
            });
  }

  private static void stream(HttpServletResponse response) {
    response.setStatus(HttpServletResponse.SC_OK);
    response.setContentType(MediaType.APPLICATION_OCTET_STREAM_VALUE);
    response.setBufferSize(1 << 16);
  }
}
