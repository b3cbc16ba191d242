package dev.coloha.agent.config;

import dev.coloha.web.openapi.ApiOperations;
import java.util.Map;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * What the replica agent's OpenAPI description (docs/api/replica-agent.openapi.json) says beyond
 * its controllers: verb-first operation ids and the tags' descriptions.
 */
@Configuration(proxyBeanMethods = false)
public class AgentApiDescription {
  @Bean
  ApiOperations agentApiOperations() {
    return new ApiOperations(
        Map.ofEntries(
            Map.entry("GET /v1/guests", "listGuests"),
            Map.entry("GET /v1/guests/{name}", "getGuest"),
            Map.entry("PUT /v1/guests/{name}", "uploadGuest"),
            Map.entry("GET /v1/replica-stream", "getReplicaStreamEndpoint"),
            Map.entry("GET /v1/vms", "listVms"),
            Map.entry("POST /v1/vms", "createVm"),
            Map.entry("GET /v1/vms/{id}", "getVm"),
            Map.entry("DELETE /v1/vms/{id}", "deleteVm"),
            Map.entry("POST /v1/vms/{id}/checkpoint", "checkpointVm"),
            Map.entry("POST /v1/vms/{id}/checkpoints", "captureCheckpoint"),
            Map.entry("GET /v1/vms/{id}/digest", "getVmDigest"),
            Map.entry("POST /v1/vms/{id}/input", "sendVmInput"),
            Map.entry("POST /v1/vms/{id}/listener", "openVmListener"),
            Map.entry("GET /v1/vms/{id}/output", "streamVmOutput"),
            Map.entry("POST /v1/vms/{id}/pause", "pauseVm"),
            Map.entry("POST /v1/vms/{id}/start", "startVm"),
            Map.entry("POST /v1/vms/{id}/stop", "stopVm"),
            Map.entry("POST /v1/vms/{id}/restore", "restoreVm"),
            Map.entry("POST /v1/vms/{id}/primary", "makePrimary"),
            Map.entry("POST /v1/vms/{id}/secondary", "makeSecondary"),
            Map.entry("POST /v1/vms/{id}/promote", "promoteVm"),
            Map.entry("POST /v1/vms/{id}/replica-stream", "receiveReplicaStream"),
            Map.entry("GET /v1/vms/{id}/replication", "getReplication")),
        Map.of(),
        Map.of(),
        Map.of(
            "vms", "Micro-VMs: create, run, pause, checkpoint, restore",
            "guests", "Guest WebAssembly modules this agent can run",
            "replication", "Primary and secondary roles, checkpoint replication, promotion",
            "streams", "The VMs' input and output streams and the checkpoint stream"));
  }
}
