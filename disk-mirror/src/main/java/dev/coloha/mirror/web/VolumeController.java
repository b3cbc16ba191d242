package dev.coloha.mirror.web;

import dev.coloha.api.mirror.CommitRequest;
import dev.coloha.api.mirror.CreateVolumeRequest;
import dev.coloha.api.mirror.FailoverRequest;
import dev.coloha.api.mirror.ResyncRequest;
import dev.coloha.api.mirror.VolumeRole;
import dev.coloha.api.mirror.VolumeStatus;
import dev.coloha.mirror.volume.CreateVolume;
import dev.coloha.mirror.volume.Volume;
import dev.coloha.mirror.volume.Volumes;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import java.io.IOException;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/** Volumes of this mirror: lifecycle, status, commit, failover, resync. */
@RestController
@RequestMapping("/v1/volumes")
@Tag(name = "volumes")
public class VolumeController {
  private final Volumes volumes;

  public VolumeController(Volumes volumes) {
    this.volumes = volumes;
  }

  @PostMapping
  @ResponseStatus(HttpStatus.CREATED)
  @Operation(summary = "Create a volume of zero bytes (PRIMARY, or SECONDARY as a resync target)")
  public VolumeStatus create(@Valid @RequestBody CreateVolumeRequest r) throws IOException {
    VolumeRole role = r.role() == null ? VolumeRole.PRIMARY : r.role();
    long epoch = r.epoch() == null ? 0 : r.epoch();
    return volumes.create(new CreateVolume(r.id(), r.sizeBytes(), role, epoch)).status();
  }

  @GetMapping
  @Operation(summary = "List the volumes with their status")
  public List<VolumeStatus> list() {
    return volumes.list().stream().map(Volume::status).toList();
  }

  @GetMapping("/{id}")
  @Operation(
      summary =
          "Status: size, role, state, epoch, barriers, pending writes, overlay, replication lag,"
              + " resync progress")
  public VolumeStatus get(@PathVariable String id) {
    return volumes.get(id).status();
  }

  @DeleteMapping("/{id}")
  @ResponseStatus(HttpStatus.NO_CONTENT)
  @Operation(summary = "Delete a volume and its files")
  public void delete(@PathVariable String id) throws IOException {
    volumes.delete(id);
  }

  @PostMapping("/{id}/commit")
  @Operation(
      summary =
          "Commit a barrier on a secondary: the primary's writes up to it enter the image, the"
              + " overlay is discarded (waits for the barrier to arrive)")
  public VolumeStatus commit(@PathVariable String id, @Valid @RequestBody CommitRequest r)
      throws IOException {
    return statusAfter(id, v -> v.commit(r.epoch(), r.barrier()));
  }

  @PostMapping("/{id}/failover")
  @Operation(
      summary =
          "Promote a secondary to primary in a new epoch: uncommitted primary writes are"
              + " discarded, the overlay enters the image")
  public VolumeStatus failover(@PathVariable String id, @Valid @RequestBody FailoverRequest r)
      throws IOException {
    return statusAfter(id, v -> v.failover(r.epoch(), r.epoch()));
  }

  @PostMapping("/{id}/resync")
  @ResponseStatus(HttpStatus.ACCEPTED)
  @Operation(
      summary =
          "Re-protect a primary: copy its whole image to a secondary volume on another mirror"
              + " while it keeps writing, then forward every write")
  public VolumeStatus resync(@PathVariable String id, @Valid @RequestBody ResyncRequest r)
      throws IOException {
    return statusAfter(id, v -> v.resync(r.secondaryUrl(), r.secondaryVolume()));
  }

  @GetMapping("/{id}/digest")
  @Operation(
      summary = "SHA-256 of what the volume's VM reads (overlay over base) and of the base image")
  public Volume.Digest digest(@PathVariable String id) throws IOException {
    return volumes.get(id).digest();
  }

  /** Does {@code command} to volume {@code id}; answers the volume's status after it. */
  private VolumeStatus statusAfter(String id, VolumeCommand command) throws IOException {
    Volume v = volumes.get(id);
    command.on(v);
    return v.status();
  }

  /** A command to a volume. */
  @FunctionalInterface
  private interface VolumeCommand {
    void on(Volume v) throws IOException;
  }
}
