package dev.coloha.agent.web;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;

/**
 * Body of {@code POST /v1/vms/{id}/restore}: apply a checkpoint file to the VM.
 *
 * @param file plain file name under the agent's checkpoint directory
 */
public record RestoreRequest(
    @NotBlank @Pattern(regexp = "[A-Za-z0-9][A-Za-z0-9._-]{0,127}") String file) {}
