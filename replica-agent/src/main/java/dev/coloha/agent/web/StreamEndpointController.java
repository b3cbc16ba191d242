package dev.coloha.agent.web;

import dev.coloha.agent.streamport.StreamListenerHolder;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

/** Where this agent takes checkpoint streams besides its HTTP server (docs/protocol.md). */
@RestController
@Tag(name = "replication")
public class StreamEndpointController {
  private final StreamListenerHolder listener;

  public StreamEndpointController(StreamListenerHolder listener) {
    this.listener = listener;
  }

  /** The port of the checkpoint-stream listener on this agent's host. */
  public record StreamEndpoint(int port) {}

  @GetMapping("/v1/replica-stream")
  @Operation(
      summary =
          "Port of the checkpoint-stream listener (404 when off: use"
              + " POST /v1/vms/{id}/replica-stream on this server)")
  public StreamEndpoint endpoint() {
    return new StreamEndpoint(
        listener
            .port()
            .orElseThrow(
                () ->
                    new ResponseStatusException(
                        HttpStatus.NOT_FOUND, "this agent has no checkpoint-stream listener")));
  }
}
