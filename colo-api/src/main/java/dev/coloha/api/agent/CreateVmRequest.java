package dev.coloha.api.agent;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.coloha.api.validation.ServiceUrl;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.PositiveOrZero;
import jakarta.validation.constraints.Size;
import java.util.List;
import java.util.Map;

/**
 * Body of the agent's {@code POST /v1/vms}: the agent's controller reads it, the coordinator's
 * {@code AgentClient} sends it. What is not set is not sent.
 *
 * @param id wanted id ([a-z0-9-], up to 63), or none to have one assigned
 * @param guest guest name, e.g. {@code kv} or {@code http}
 * @param memoryBytes memory limit in bytes (default: colo.agent.vm.default-memory)
 * @param diskBytes virtual disk size in bytes, a multiple of 512; 0 for no disk (default:
 *     colo.agent.vm.default-disk)
 * @param start start the VM at once
 * @param mirror the disk is a volume on this host's disk mirror instead of a local image file
 * @param args a WASI guest's arguments after its name (ignored for guest ABI v1)
 * @param env the guest's environment ({@code COLO_LISTEN_FD} is the host's; an ABI v1 guest reads
 *     it with {@code env_get}; {@code COLO_APPENDFSYNC}, if set, must be {@code always}, {@code
 *     everysec} or {@code no}: the kv guest's log policy)
 * @param network how a WASI program meets its clients: {@code listen} (default) or {@code inetd}
 * @param files text files written into a WASI guest's {@code /data} at boot where absent
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CreateVmRequest(
    @Pattern(regexp = "[a-z0-9][a-z0-9-]{0,62}") String id,
    @NotBlank @Pattern(regexp = "[a-z][a-z0-9-]{0,62}") String guest,
    @Positive Long memoryBytes,
    @PositiveOrZero Long diskBytes,
    Boolean start,
    @Valid Mirror mirror,
    @Size(max = 64) List<@NotNull @Size(max = 4096) String> args,
    @Size(max = 64) Map<@NotNull String, @NotNull @Size(max = 4096) String> env,
    @Pattern(regexp = "listen|inetd", message = "must be listen or inetd") String network,
    @Size(max = MAX_FILES)
        Map<@NotNull String, @NotNull @Size(max = MAX_FILE_BYTES) String> files) {

  /** Files a WASI guest may be given for its {@code /data}, at most. */
  public static final int MAX_FILES = 64;

  /** Bytes of one such file, at most. */
  public static final int MAX_FILE_BYTES = 64 << 10;

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
