package dev.coloha.api.mirror;

import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

/**
 * Body of {@code POST /v1/volumes/{id}/failover}.
 *
 * @param epoch the new epoch the volume serves in as a primary (persisted by the coordinator)
 */
public record FailoverRequest(@NotNull @Min(0) Long epoch) {}
