package dev.coloha.agent.web;

import dev.coloha.agent.stream.VmStreams;
import dev.coloha.agent.vm.VmService;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * A VM's long-lived binary streams (docs/protocol.md): client input in, tagged output out. The
 * proxy is their one user; both are fenced by epoch.
 */
@RestController
@RequestMapping("/v1/vms/{id}")
@Tag(name = "streams")
public class StreamController {
  private final VmService vms;

  public StreamController(VmService vms) {
    this.vms = vms;
  }

  @PostMapping(value = "/input", consumes = MediaType.APPLICATION_OCTET_STREAM_VALUE)
  @Operation(summary = "Input stream: OPEN, DATA, CLOSE, HEARTBEAT frames until END (long-lived)")
  public VmStreams.InputSummary input(
      @PathVariable String id, @RequestParam long epoch, HttpServletRequest request)
      throws IOException {
    vms.checkEpoch(id, epoch);
    return vms.streams(id).pump(request.getInputStream());
  }

  @GetMapping(value = "/output", produces = MediaType.APPLICATION_OCTET_STREAM_VALUE)
  @Operation(
      summary = "Output stream: OUTPUT, CLOSED, INTERVAL, CRASHED, HEARTBEAT frames (long-lived)")
  public void output(
      @PathVariable String id, @RequestParam long epoch, HttpServletResponse response)
      throws IOException {
    vms.checkEpoch(id, epoch);
    VmStreams streams = vms.streams(id);
    response.setContentType(MediaType.APPLICATION_OCTET_STREAM_VALUE);
    response.setBufferSize(1 << 16);
    streams.serveOutput(response.getOutputStream());
  }
}
