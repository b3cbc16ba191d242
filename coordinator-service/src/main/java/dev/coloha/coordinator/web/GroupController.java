package dev.coloha.coordinator.web;

import dev.coloha.coordinator.config.CoordinatorProperties;
import dev.coloha.coordinator.events.GroupEvent;
import dev.coloha.coordinator.group.GroupService;
import dev.coloha.coordinator.model.GroupSpec;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/** Protected groups: what cloud portals call. */
@RestController
@RequestMapping("/v1/groups")
@Tag(name = "groups")
public class GroupController {
  private final GroupService groups;
  private final CoordinatorProperties props;

  public GroupController(GroupService groups, CoordinatorProperties props) {
    this.groups = groups;
    this.props = props;
  }

  @PostMapping
  @ResponseStatus(HttpStatus.ACCEPTED)
  @Operation(
      summary =
          "Create a protected service: placement, replicas, live sync, proxy (in the background)")
  public GroupView create(@Valid @RequestBody GroupRequests.Create r) {
    var base = props.policy();
    return GroupView.of(
        groups.create(
            new GroupService.CreateGroup(
                new GroupSpec(
                    r.id(),
                    r.guest(),
                    r.memoryBytes() == null ? props.defaultMemory().toBytes() : r.memoryBytes(),
                    r.diskBytes() == null ? props.defaultDisk().toBytes() : r.diskBytes(),
                    r.port(),
                    r.bindAddress() == null ? "127.0.0.1" : r.bindAddress(),
                    r.args(),
                    r.env(),
                    r.network(),
                    r.files(),
                    r.appendfsync()),
                r.policy() == null ? base : r.policy().over(base, "policy."))));
  }

  @GetMapping
  @Operation(summary = "List the groups")
  public List<GroupView> list() {
    return groups.list().stream().map(GroupView::of).toList();
  }

  @GetMapping("/{id}")
  @Operation(summary = "A group: state, primary, secondary, epoch, last checkpoint, counters")
  public GroupView get(@PathVariable String id) {
    return GroupView.of(groups.get(id));
  }

  @DeleteMapping("/{id}")
  @ResponseStatus(HttpStatus.NO_CONTENT)
  @Operation(summary = "Delete a group and its replicas")
  public void delete(@PathVariable String id) {
    groups.delete(id);
  }

  @PostMapping("/{id}/checkpoint")
  @Operation(summary = "Take a checkpoint now")
  public GroupView checkpoint(@PathVariable String id) {
    return GroupView.of(groups.checkpoint(id));
  }

  @PostMapping("/{id}/failover")
  @Operation(summary = "Fail over to the secondary now (planned maintenance)")
  public GroupView failover(@PathVariable String id) {
    return GroupView.of(groups.failover(id));
  }

  @PutMapping("/{id}/policy")
  @Operation(summary = "Update the checkpoint and failure-detection policy")
  public GroupView policy(@PathVariable String id, @Valid @RequestBody GroupRequests.PolicyBody r) {
    return GroupView.of(groups.updatePolicy(id, r.over(groups.get(id).policy(), "")));
  }

  @GetMapping("/{id}/history")
  @Operation(summary = "Recent events of the group")
  public List<GroupEvent> history(@PathVariable String id) {
    return groups.history(id);
  }
}
