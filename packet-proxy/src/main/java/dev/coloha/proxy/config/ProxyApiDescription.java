package dev.coloha.proxy.config;

import dev.coloha.api.proxy.ProxyEvent;
import dev.coloha.api.proxy.ProxyEventType;
import dev.coloha.proxy.compare.MismatchKind;
import dev.coloha.web.openapi.ApiOperations;
import java.util.List;
import java.util.Map;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * What the packet proxy's OpenAPI description (docs/api/packet-proxy.openapi.json) says beyond its
 * controllers: verb-first operation ids, the event stream's payload, states, modes and kinds.
 */
@Configuration(proxyBeanMethods = false)
public class ProxyApiDescription {
  @Bean
  ApiOperations proxyApiOperations() {
    return new ApiOperations(
        Map.ofEntries(
            Map.entry("GET /v1/groups", "listGroups"),
            Map.entry("GET /v1/groups/{group}", "getGroup"),
            Map.entry("PUT /v1/groups/{group}", "configureGroup"),
            Map.entry("DELETE /v1/groups/{group}", "deleteGroup"),
            Map.entry("POST /v1/groups/{group}/commits", "commitCheckpoint"),
            Map.entry("GET /v1/groups/{group}/events", "streamGroupEvents"),
            Map.entry("POST /v1/groups/{group}/failover", "failOverGroup"),
            Map.entry("GET /v1/groups/{group}/mismatches", "listMismatches"),
            Map.entry("GET /v1/groups/{group}/mismatches/{id}", "getMismatch"),
            Map.entry("GET /v1/groups/{group}/mismatches/{id}/pcap", "downloadMismatchPcap"),
            Map.entry("POST /v1/listen-checks", "checkListenAddress"),
            Map.entry("GET /v1/proxy", "getProxyRole")),
        Map.of("GET /v1/groups/{group}/events", ProxyEvent.class),
        Map.of(
            // group/GroupView's states (Group.view)
            "GroupView.state",
            List.of("PROTECTED", "CONNECTING", "DEGRADED", "UNPROTECTED", "PASSTHROUGH"),
            "GroupView.mode",
            List.of("COLO", "PASSTHROUGH"),
            "MismatchView.kind",
            ApiOperations.names(MismatchKind.class)),
        Map.of(
            "groups",
            "Protected services: replicas, commits, failover, the event stream, mismatches",
            "proxy",
            "The proxy itself: ACTIVE or STANDBY of a warm standby pair"),
        // the type of each event the proxy writes (EventLog)
        java.util.Arrays.stream(ProxyEventType.values())
            .collect(
                java.util.stream.Collectors.toUnmodifiableMap(
                    ProxyEventType::slug, t -> (Class<?>) t.record())));
  }
}
