package dev.coloha.agent.web;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;

/**
 * Body of {@code POST /v1/vms/{id}/checkpoints}: capture a checkpoint to a file.
 *
 * @param file plain file name under the agent's checkpoint directory
 * @param full every page rather than the pages dirtied since the last capture
 */
public record CaptureRequest(
    @NotBlank @Pattern(regexp = "[A-Za-z0-9][A-Za-z0-9._-]{0,127}") String file, Boolean full) {}
