package dev.coloha.api.mirror;

import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Positive;

/**
 * Body of {@code POST /v1/volumes}.
 *
 * @param id volume id, 1-63 of [a-z0-9-]
 * @param sizeBytes size, a positive multiple of 512
 * @param role PRIMARY (default) or SECONDARY (a resync target)
 * @param epoch the group's epoch (default 0)
 */
public record CreateVolumeRequest(
    @NotBlank @Pattern(regexp = "[a-z0-9][a-z0-9-]{0,62}") String id,
    @NotNull @Positive Long sizeBytes,
    VolumeRole role,
    @Min(0) Long epoch) {}
