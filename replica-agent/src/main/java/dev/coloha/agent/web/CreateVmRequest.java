package dev.coloha.agent.web;

import dev.coloha.web.validation.ServiceUrl;
import jakarta.validation.Valid;
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
 * @param mirror the disk is a volume on this host's disk mirror instead of a local image file
 */
public record CreateVmRequest(
    @Pattern(regexp = "[a-z0-9][a-z0-9-]{0,62}") String id,
    @NotBlank @Pattern(regexp = "[a-z][a-z0-9-]{0,62}") String guest,
    @Positive Long memoryBytes,
    @PositiveOrZero Long diskBytes,
    Boolean start,
    @Valid Mirror mirror) {

  /**
   * @param url the disk mirror's base URL, e.g. {@code http://127.0.0.1:7702}
   * @param volume the volume id on that mirror
   * @param epoch the volume epoch to attach in
   */
  public record Mirror(
      @NotBlank @ServiceUrl String url,
      @NotBlank @Pattern(regexp = "[A-Za-z0-9][A-Za-z0-9._-]{0,127}") String volume,
      @PositiveOrZero long epoch) {}
}
