package dev.coloha.coordinator.web;

import dev.coloha.coordinator.group.GroupService;
import dev.coloha.coordinator.hosts.HostRegistry;
import dev.coloha.coordinator.model.Host;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Pattern;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/** Hosts and proxies: registration by heartbeat, listing, and "host lost" from outside. */
@RestController
@RequestMapping("/v1")
@Tag(name = "hosts")
public class HostController {
  private final HostRegistry hosts;
  private final GroupService groups;

  public HostController(HostRegistry hosts, GroupService groups) {
    this.hosts = hosts;
    this.groups = groups;
  }

  @PostMapping("/hosts/{name}/heartbeat")
  @ResponseStatus(HttpStatus.NO_CONTENT)
  @Operation(summary = "Heartbeat (and registration) of an agent, mirror or proxy")
  public void heartbeat(
      @PathVariable @Pattern(regexp = "[A-Za-z0-9][A-Za-z0-9._-]{0,63}") String name,
      @Valid @RequestBody GroupRequests.Heartbeat r) {
    groups.heartbeat(name, r.role(), r.url(), r.replaces());
    if (r.role().equals("agent") && (r.maxMemoryBytes() != null || r.maxDiskBytes() != null)) {
      hosts.advertise(name, new HostRegistry.HostLimits(r.maxMemoryBytes(), r.maxDiskBytes()));
    }
  }

  @GetMapping("/hosts")
  @Operation(summary = "Known hosts with their services and last heartbeats")
  public List<Host> list() {
    return hosts.hosts();
  }

  @PostMapping("/hosts/{name}/lost")
  @ResponseStatus(HttpStatus.ACCEPTED)
  @Operation(summary = "An external heartbeat module (Pacemaker, Kubernetes) declares a host lost")
  public Map<String, String> lost(@PathVariable String name) {
    groups.hostLost(name);
    return Map.of("host", name, "state", "LOST");
  }

  @GetMapping("/proxies")
  @Operation(summary = "Known proxies with their last heartbeats")
  public List<HostRegistry.ProxyNode> proxies() {
    return hosts.proxies();
  }
}
