package dev.coloha.api.mirror;

import dev.coloha.api.validation.ServiceUrl;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;

/**
 * Body of {@code POST /v1/volumes/{id}/resync}: the secondary to (re)protect this primary with.
 *
 * @param secondaryUrl base URL of the secondary's mirror, e.g. {@code http://10.0.0.2:7702}
 * @param secondaryVolume the SECONDARY volume on that mirror (same size)
 */
public record ResyncRequest(
    @NotBlank @ServiceUrl String secondaryUrl,
    @NotBlank @Pattern(regexp = "[a-z0-9][a-z0-9-]{0,62}") String secondaryVolume) {}
