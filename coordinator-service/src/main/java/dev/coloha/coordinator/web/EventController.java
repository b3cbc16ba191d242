package dev.coloha.coordinator.web;

import dev.coloha.coordinator.events.GroupEvent;
import dev.coloha.coordinator.events.GroupEvents;
import dev.coloha.coordinator.group.GroupService;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.io.IOException;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/** Server-sent events of the groups, for portals: the recent history first, then live. */
@RestController
@Tag(name = "events")
public class EventController {
  private final GroupEvents events;
  private final GroupService groups;

  public EventController(GroupEvents events, GroupService groups) {
    this.events = events;
    this.groups = groups;
  }

  @GetMapping(value = "/v1/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
  @Operation(summary = "Events of every group (server-sent events)")
  public SseEmitter all() {
    return stream(null);
  }

  @GetMapping(value = "/v1/groups/{id}/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
  @Operation(summary = "Events of one group (server-sent events)")
  public SseEmitter group(@PathVariable String id) {
    groups.get(id);
    return stream(id);
  }

  private SseEmitter stream(String group) {
    SseEmitter emitter = new SseEmitter(0L);
    for (GroupEvent e : events.history(group)) {
      send(emitter, e);
    }
    Runnable unsubscribe =
        events.subscribe(
            e -> {
              if (group == null || group.equals(e.group())) {
                send(emitter, e);
              }
            });
    emitter.onCompletion(unsubscribe);
    emitter.onTimeout(unsubscribe);
    emitter.onError(t -> unsubscribe.run());
    return emitter;
  }

  private static void send(SseEmitter emitter, GroupEvent e) {
    try {
      emitter.send(SseEmitter.event().name(e.kind()).data(e, MediaType.APPLICATION_JSON));
    } catch (IOException ex) {
      throw new IllegalStateException("subscriber gone", ex);
    }
  }
}
