package dev.coloha.coordinator.config;

import dev.coloha.coordinator.events.GroupEvent;
import dev.coloha.coordinator.model.GroupState;
import dev.coloha.web.openapi.ApiOperations;
import java.util.List;
import java.util.Map;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * What the coordinator's OpenAPI description (docs/api/coordinator-service.openapi.json) says
 * beyond its controllers: verb-first operation ids, the event streams' payload, the group states.
 */
@Configuration(proxyBeanMethods = false)
public class CoordinatorApiDescription {
  @Bean
  ApiOperations coordinatorApiOperations() {
    List<String> states = ApiOperations.names(GroupState.class);
    return new ApiOperations(
        Map.ofEntries(
            Map.entry("GET /v1/groups", "listGroups"),
            Map.entry("POST /v1/groups", "createGroup"),
            Map.entry("GET /v1/groups/{id}", "getGroup"),
            Map.entry("DELETE /v1/groups/{id}", "deleteGroup"),
            Map.entry("POST /v1/groups/{id}/checkpoint", "checkpointGroup"),
            Map.entry("POST /v1/groups/{id}/failover", "failOverGroup"),
            Map.entry("GET /v1/groups/{id}/history", "getGroupHistory"),
            Map.entry("PUT /v1/groups/{id}/policy", "updateGroupPolicy"),
            Map.entry("GET /v1/groups/{id}/events", "streamGroupEvents"),
            Map.entry("GET /v1/events", "streamEvents"),
            Map.entry("GET /v1/hosts", "listHosts"),
            Map.entry("POST /v1/hosts/{name}/heartbeat", "recordHeartbeat"),
            Map.entry("POST /v1/hosts/{name}/lost", "declareHostLost"),
            Map.entry("GET /v1/proxies", "listProxies"),
            Map.entry("GET /v1/guests", "listGuests"),
            Map.entry("GET /v1/guests/{name}", "getGuest"),
            Map.entry("GET /v1/guests/{name}/module", "downloadGuestModule"),
            Map.entry("PUT /v1/guests/{name}", "uploadGuest"),
            Map.entry("DELETE /v1/guests/{name}", "deleteGuest")),
        Map.of("GET /v1/events", GroupEvent.class, "GET /v1/groups/{id}/events", GroupEvent.class),
        Map.of("GroupView.state", states, "GroupEvent.state", states),
        Map.of(
            "groups", "Protected groups: create, watch, checkpoint, fail over, delete",
            "hosts", "The hosts' agents, mirrors and proxies and their heartbeats",
            "events", "What happens to the groups, as server-sent events",
            "guests", "The guest library: WebAssembly modules uploaded once, delivered to agents"));
  }
}
