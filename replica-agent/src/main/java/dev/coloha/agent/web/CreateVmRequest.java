package dev.coloha.agent.web;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.PositiveOrZero;

/**
 * Body of {@code POST /v1/vms}.
 *
 * @param id wanted id ([a-z0-9-], up to 63), or none to have one assigned
 * @param guest guest name, e.g. {@code kv} or {@code http}
 * @param memoryBytes memory limit in bytes (default: colo.agent.vm.default-memory)
 * @param diskBytes virtual disk size in bytes, a multiple of 512; 0 for no disk (default:
 *     colo.agent.vm.default-disk)
 * @param start start the VM at once
 */
public record CreateVmRequest(
    @Pattern(regexp = "[a-z0-9][a-z0-9-]{0,62}") String id,
    @NotBlank String guest,
    @Positive Long memoryBytes,
    @PositiveOrZero Long diskBytes,
    Boolean start) {}
