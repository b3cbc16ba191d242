package dev.coloha.agent.web;

import dev.coloha.agent.vm.CheckpointFileResult;
import dev.coloha.agent.vm.CheckpointFiles;
import dev.coloha.agent.vm.CreateVm;
import dev.coloha.agent.vm.MirrorDisk;
import dev.coloha.agent.vm.VmService;
import dev.coloha.api.agent.CreateVmRequest;
import dev.coloha.api.agent.VmView;
import dev.coloha.microvm.WasiLaunch;
import dev.coloha.wire.InvalidFieldException;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/** VMs of this agent: lifecycle, status, checkpoint files, standalone listener. */
@RestController
@RequestMapping("/v1/vms")
@Tag(name = "vms")
public class VmController {
  private final VmService vms;
  private final CheckpointFiles checkpoints;

  public VmController(VmService vms, CheckpointFiles checkpoints) {
    this.vms = vms;
    this.checkpoints = checkpoints;
  }

  @PostMapping
  @ResponseStatus(HttpStatus.CREATED)
  @Operation(summary = "Create a VM from a named guest with memory and disk limits")
  public VmView create(@Valid @RequestBody CreateVmRequest r) {
    return vms.create(
        new CreateVm(
            r.id(),
            r.guest(),
            r.memoryBytes(),
            r.diskBytes(),
            Boolean.TRUE.equals(r.start()),
            r.mirror() == null
                ? null
                : new MirrorDisk(
                    URI.create(r.mirror().url()), r.mirror().volume(), r.mirror().epoch()),
            launch(r)));
  }

  /**
   * The arguments, environment, network model and files as the micro-VM takes them.
   *
   * @throws InvalidFieldException naming the field ({@code args}, {@code env}, {@code network} or
   *     {@code files}) that cannot be passed
   */
  private static WasiLaunch launch(CreateVmRequest r) {
    try {
      return new WasiLaunch(
          r.args() == null ? List.of() : r.args(),
          r.env() == null ? Map.of() : r.env(),
          WasiLaunch.Network.ofApiName(r.network()),
          r.files() == null ? Map.of() : r.files());
    } catch (IllegalArgumentException e) {
      throw InvalidFieldException.of(e);
    }
  }

  @GetMapping
  @Operation(summary = "List the VMs")
  public List<VmView> list() {
    return vms.list();
  }

  @GetMapping("/{id}")
  @Operation(summary = "Status of a VM: state, pages, dirty pages, events, guest time")
  public VmView get(@PathVariable String id) {
    return vms.get(id);
  }

  @GetMapping("/{id}/digest")
  @Operation(summary = "SHA-256 of the VM's whole memory at an event boundary (verification)")
  public VmService.VmDigest digest(@PathVariable String id) {
    return vms.digest(id);
  }

  @PostMapping("/{id}/start")
  @Operation(summary = "Start a VM (a stopped VM boots again from its disk image)")
  public VmView start(@PathVariable String id) {
    return vms.start(id);
  }

  @PostMapping("/{id}/pause")
  @Operation(summary = "Pause a VM at the next event boundary")
  public VmView pause(@PathVariable String id) {
    return vms.pause(id);
  }

  @PostMapping("/{id}/stop")
  @Operation(summary = "Stop a VM; its disk image stays")
  public VmView stop(@PathVariable String id) {
    return vms.stop(id);
  }

  @DeleteMapping("/{id}")
  @ResponseStatus(HttpStatus.NO_CONTENT)
  @Operation(summary = "Delete a VM and (unless keepDisk) its disk image")
  public void delete(
      @PathVariable String id, @RequestParam(defaultValue = "false") boolean keepDisk) {
    vms.delete(id, keepDisk);
  }

  @PostMapping("/{id}/listener")
  @Operation(summary = "Serve the VM on a TCP port of this host (standalone network mode)")
  public VmView listen(@PathVariable String id, @Valid @RequestBody ListenRequest r) {
    return vms.listen(id, r.bindAddress(), r.port() == null ? 0 : r.port());
  }

  @PostMapping("/{id}/checkpoints")
  @ResponseStatus(HttpStatus.CREATED)
  @Operation(summary = "Capture a checkpoint of the VM to a file")
  public CheckpointFileResult capture(
      @PathVariable String id, @Valid @RequestBody CaptureRequest r) {
    return checkpoints.capture(id, r.file(), Boolean.TRUE.equals(r.full()));
  }

  @PostMapping("/{id}/restore")
  @Operation(summary = "Apply a checkpoint file to the VM, whole or not at all")
  public CheckpointFileResult restore(
      @PathVariable String id, @Valid @RequestBody RestoreRequest r) {
    return checkpoints.apply(id, r.file());
  }
}
