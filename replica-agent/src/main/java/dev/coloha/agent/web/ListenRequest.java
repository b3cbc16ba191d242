package dev.coloha.agent.web;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Size;

/**
 * Body of {@code POST /v1/vms/{id}/listener}: serve the VM on a TCP port (standalone mode).
 *
 * @param bindAddress address to bind (default: colo.agent.standalone.bind-address)
 * @param port TCP port; 0 picks a free one
 */
public record ListenRequest(@Size(max = 64) String bindAddress, @Min(0) @Max(65535) Integer port) {}
