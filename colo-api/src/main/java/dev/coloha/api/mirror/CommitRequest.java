package dev.coloha.api.mirror;

import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

/**
 * Body of {@code POST /v1/volumes/{id}/commit}.
 *
 * @param epoch the caller's epoch
 * @param barrier the barrier to commit
 */
public record CommitRequest(@NotNull @Min(0) Long epoch, @NotNull @Min(0) Long barrier) {}
