package dev.coloha.proxy.web;

import dev.coloha.api.Offset;
import dev.coloha.api.proxy.GroupLimits;
import dev.coloha.api.proxy.GroupRequests;
import dev.coloha.api.proxy.GroupView;
import dev.coloha.api.proxy.ProxyEvent;
import dev.coloha.api.proxy.ProxyEventType;
import dev.coloha.proxy.compare.Mismatch;
import dev.coloha.proxy.compare.OutputComparator;
import dev.coloha.proxy.config.ProxyProperties;
import dev.coloha.proxy.event.EventLog;
import dev.coloha.proxy.event.MismatchRecord;
import dev.coloha.proxy.event.Samples;
import dev.coloha.proxy.group.Commit;
import dev.coloha.proxy.group.Group;
import dev.coloha.proxy.group.GroupSpec;
import dev.coloha.proxy.group.Groups;
import dev.coloha.proxy.group.ReplicaRef;
import dev.coloha.proxy.standby.ProxyStandbyException;
import dev.coloha.proxy.standby.StandbyLock;
import dev.coloha.wire.InvalidFieldException;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.validation.Valid;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.json.JsonMapper;

/**
 * The coordinator's API of the proxy: protected services (groups), commits, failover, the event
 * stream and mismatch forensics. Parses requests into domain commands and calls {@link Groups}.
 */
@RestController
@RequestMapping("/v1/groups")
@Tag(name = "groups")
public class GroupController {
  static final String NDJSON = "application/x-ndjson";
  static final String PCAP = "application/vnd.tcpdump.pcap";

  private final Groups groups;
  private final ProxyProperties props;
  private final JsonMapper json;
  private final StandbyLock standby;

  public GroupController(
      Groups groups, ProxyProperties props, JsonMapper json, StandbyLock standby) {
    this.groups = groups;
    this.props = props;
    this.json = json;
    this.standby = standby;
  }

  @PutMapping("/{group}")
  @Operation(
      summary =
          "Create or reconfigure a protected service (201 when created; 503 on a standby proxy)")
  public ResponseEntity<GroupView> put(
      @PathVariable String group, @Valid @RequestBody GroupRequests.Put body) {
    checkName(group);
    if (!standby.active()) {
      throw new ProxyStandbyException(); // a coordinator that still knows this address
    }
    Groups.Put r = groups.put(spec(group, body));
    return ResponseEntity.status(r.created() ? HttpStatus.CREATED : HttpStatus.OK).body(r.group());
  }

  private GroupSpec spec(String group, GroupRequests.Put b) {
    ProxyProperties.Limits d = props.limits();
    GroupRequests.Limits l = b.limits();
    GroupLimits limits =
        new GroupLimits(
            l != null && l.heldPerConnection() != null
                ? l.heldPerConnection()
                : d.heldPerConnection().toBytes(),
            l != null && l.heldPerGroup() != null ? l.heldPerGroup() : d.heldPerGroup().toBytes(),
            l != null && l.retainedInputPerConnection() != null
                ? l.retainedInputPerConnection()
                : d.retainedInputPerConnection().toBytes(),
            l != null && l.retainedInputPerGroup() != null
                ? l.retainedInputPerGroup()
                : d.retainedInputPerGroup().toBytes(),
            l != null && l.maxConnections() != null ? l.maxConnections() : d.maxConnections());
    GroupRequests.Sync s = b.sync();
    Commit sync =
        s == null
            ? null
            : new Commit(
                b.epoch(),
                s.sequence(),
                offsets(s.outputOffsets()),
                offsets(s.inputOffsets()),
                set(s.closedConnections()));
    return new GroupSpec(
        group,
        b.epoch(),
        b.listen().address() == null ? "127.0.0.1" : b.listen().address(),
        b.listen().port(),
        b.mode() == GroupRequests.Mode.PASSTHROUGH
            ? GroupSpec.Mode.PASSTHROUGH
            : GroupSpec.Mode.COLO,
        ref(b.primary()),
        b.secondary() == null ? null : ref(b.secondary()),
        b.compareTimeout() == null ? props.compare().timeout() : b.compareTimeout(),
        limits,
        sync,
        b.resume() == null
            ? null
            : new GroupSpec.Resume(
                b.resume().nextConnection(), offsets(b.resume().lostConnections())));
  }

  private static void checkName(String group) {
    if (!group.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
      throw new InvalidFieldException(
          "group", "a group name is 1-64 letters, digits, '.', '_' or '-'");
    }
  }

  private static ReplicaRef ref(GroupRequests.Replica r) {
    return new ReplicaRef(r.agentUrl(), r.vm());
  }

  private static Map<Integer, Long> offsets(List<Offset> list) {
    Map<Integer, Long> m = new HashMap<>();
    if (list != null) {
      for (Offset o : list) {
        m.merge(o.conn(), o.offset(), Math::max);
      }
    }
    return m;
  }

  private static Set<Integer> set(List<Integer> list) {
    return list == null ? Set.of() : new HashSet<>(list);
  }

  @GetMapping
  @Operation(summary = "Every protected service")
  public List<GroupView> list() {
    return groups.list();
  }

  @GetMapping("/{group}")
  @Operation(summary = "A protected service: state, replicas, counters")
  public GroupView get(@PathVariable String group) {
    return groups.view(group);
  }

  @DeleteMapping("/{group}")
  @ResponseStatus(HttpStatus.NO_CONTENT)
  @Operation(summary = "Stop protecting a service: its listener and client connections close")
  public void delete(@PathVariable String group) {
    groups.delete(group);
  }

  @PostMapping("/{group}/commits")
  @Operation(
      summary =
          "Checkpoint N was applied by the secondary: release the primary's output up to it, drop"
              + " the secondary's, compare what follows")
  public GroupRequests.CommitResult commit(
      @PathVariable String group, @Valid @RequestBody GroupRequests.Commit body) {
    Group.CommitOutcome o =
        groups.commit(
            group,
            new Commit(
                body.epoch(),
                body.sequence(),
                offsets(body.outputOffsets()),
                offsets(body.inputOffsets()),
                set(body.closedConnections())));
    OutputComparator.Stats st = o.stats();
    return new GroupRequests.CommitResult(
        o.applied(), st.committed(), st.compareInterval(), st.heldPrimary(), st.heldSecondary());
  }

  @PostMapping("/{group}/failover")
  @Operation(
      summary =
          "Single-replica mode on the new primary (usually the old secondary) in a new epoch: its"
              + " output continues every stream with no gap and no duplicate")
  public GroupView failover(
      @PathVariable String group, @Valid @RequestBody GroupRequests.Failover body) {
    return groups.failover(group, body.epoch(), ref(body.primary()));
  }

  @GetMapping(value = "/{group}/events", produces = NDJSON)
  @Operation(
      summary =
          "Long-lived event stream (NDJSON): mismatch, pressure, stream-broken, failover,"
              + " heartbeat; since=ID replays the history after that event first")
  public void events(
      @PathVariable String group,
      @RequestParam(defaultValue = "-1") long since,
      HttpServletResponse response)
      throws IOException {
    Group g = groups.group(group);
    response.setContentType(NDJSON);
    response.setCharacterEncoding(StandardCharsets.UTF_8.name());
    OutputStream out = response.getOutputStream();
    long beat = props.events().heartbeatInterval().toMillis();
    try (EventLog.Subscription sub = g.events().subscribe(since)) {
      response.flushBuffer();
      while (true) {
        List<ProxyEvent> batch;
        try {
          batch = sub.poll(beat);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        if (batch == null) {
          return;
        }
        if (batch.isEmpty()) {
          batch =
              List.of(
                  new ProxyEvent.Heartbeat(
                      g.events().lastId(), ProxyEventType.HEARTBEAT, group, Instant.now()));
        }
        for (ProxyEvent e : batch) {
          out.write(json.writeValueAsBytes(e));
          out.write('\n');
        }
        out.flush();
      }
    }
  }

  @GetMapping("/{group}/mismatches")
  @Operation(summary = "The group's recent mismatches (bounded history), oldest first")
  public List<GroupRequests.MismatchView> mismatches(@PathVariable String group) {
    return groups.mismatches(group).stream().map(GroupController::view).toList();
  }

  @GetMapping("/{group}/mismatches/{id}")
  @Operation(summary = "One mismatch")
  public GroupRequests.MismatchView mismatch(@PathVariable String group, @PathVariable long id) {
    return view(groups.mismatch(group, id));
  }

  @GetMapping(value = "/{group}/mismatches/{id}/pcap", produces = PCAP)
  @Operation(
      summary =
          "The mismatch's forensic window as a .pcap: two TCP flows (primary and secondary to the"
              + " client), sequence numbers from the output offsets")
  public ResponseEntity<byte[]> pcap(@PathVariable String group, @PathVariable long id) {
    byte[] file = groups.pcap(group, id);
    return ResponseEntity.ok()
        .contentType(MediaType.parseMediaType(PCAP))
        .header(
            HttpHeaders.CONTENT_DISPOSITION,
            "attachment; filename=\"" + group + "-mismatch-" + id + ".pcap\"")
        .body(file);
  }

  private static GroupRequests.MismatchView view(MismatchRecord r) {
    Mismatch m = r.mismatch();
    return new GroupRequests.MismatchView(
        r.id(),
        r.time().toString(),
        m.kind().name(),
        m.conn(),
        m.interval(),
        m.offset(),
        m.primaryEnd(),
        m.secondaryEnd(),
        Samples.escaped(m.primarySample()),
        Samples.escaped(m.secondarySample()),
        m.detail(),
        "/v1/groups/" + r.group() + "/mismatches/" + r.id() + "/pcap");
  }
}
