package dev.coloha.agent.web;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;

/**
 * Body of {@code POST /v1/vms/{id}/listener}: serve the VM on a TCP port (standalone mode).
 *
 * @param bindAddress address to bind (default: colo.agent.standalone.bind-address)
 * @param port TCP port; 0 picks a free one
 */
public record ListenRequest(String bindAddress, @Min(0) @Max(65535) Integer port) {}
