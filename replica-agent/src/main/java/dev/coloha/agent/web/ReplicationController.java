package dev.coloha.agent.web;

import dev.coloha.agent.replication.Peer;
import dev.coloha.agent.replication.ReplicationService;
import dev.coloha.api.agent.CheckpointResult;
import dev.coloha.api.agent.ReplicationRequests;
import dev.coloha.api.agent.ReplicationStatus;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.validation.Valid;
import java.io.IOException;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/** Pairing, checkpoints on request, promotion, and the checkpoint stream between agents. */
@RestController
@RequestMapping("/v1/vms/{id}")
@Tag(name = "replication")
public class ReplicationController {
  private final ReplicationService replication;

  public ReplicationController(ReplicationService replication) {
    this.replication = replication;
  }

  @PostMapping("/secondary")
  @Operation(
      summary = "Make the VM the secondary of a pair; it waits for the primary's initial sync")
  public ReplicationStatus secondary(
      @PathVariable String id, @Valid @RequestBody ReplicationRequests.Secondary r) {
    return replication.becomeSecondary(id, r.epoch());
  }

  @PostMapping("/primary")
  @ResponseStatus(HttpStatus.ACCEPTED)
  @Operation(
      summary =
          "Make the VM the primary of a pair and start the live initial sync of its secondary")
  public ReplicationStatus primary(
      @PathVariable String id, @Valid @RequestBody ReplicationRequests.Primary r) {
    return replication.becomePrimary(
        id, r.epoch(), new Peer(r.secondary().agentUrl(), r.secondary().vm()));
  }

  @GetMapping("/replication")
  @Operation(summary = "Role, link state, epoch and last checkpoint of the VM")
  public ReplicationStatus status(@PathVariable String id) {
    return replication.status(id);
  }

  @PostMapping("/checkpoint")
  @Operation(
      summary = "Checkpoint on request: capture, stream to the secondary, wait for its apply")
  public CheckpointResult checkpoint(
      @PathVariable String id, @Valid @RequestBody ReplicationRequests.Checkpoint r) {
    return replication.checkpoint(id, r.epoch(), r.sequence(), Boolean.TRUE.equals(r.verify()));
  }

  @PostMapping("/promote")
  @Operation(summary = "Promote the secondary to primary of a new epoch (failover)")
  public ReplicationStatus promote(
      @PathVariable String id, @Valid @RequestBody ReplicationRequests.Promote r) {
    return replication.promote(id, r.epoch());
  }

  @PostMapping(
      value = "/replica-stream",
      consumes = MediaType.APPLICATION_OCTET_STREAM_VALUE,
      produces = MediaType.APPLICATION_OCTET_STREAM_VALUE)
  @Operation(
      summary = "Checkpoint stream from the primary's agent (long-lived, full duplex, binary)")
  public void stream(
      @PathVariable String id,
      @RequestParam long epoch,
      HttpServletRequest request,
      HttpServletResponse response)
      throws IOException {
    response.setContentType(MediaType.APPLICATION_OCTET_STREAM_VALUE);
    replication.serveStream(id, epoch, request.getInputStream(), response.getOutputStream());
  }
}
