package dev.coloha.coordinator.web;

import dev.coloha.api.validation.ServiceUrl;
import dev.coloha.coordinator.model.Policy;
import dev.coloha.microvm.WasiLaunch;
import dev.coloha.wire.InvalidFieldException;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.PositiveOrZero;
import jakarta.validation.constraints.Size;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Bodies of the group endpoints. */
final class GroupRequests {
  /** The longest interval a policy may name: a day. */
  static final long DAY_MS = 86_400_000L;

  private GroupRequests() {}

  /**
   * {@code POST /v1/groups}.
   *
   * @param id group id ([a-z0-9-], up to 63)
   * @param guest guest name, e.g. kv or http
   * @param memoryBytes memory limit of each replica (default colo.coordinator.default-memory)
   * @param diskBytes virtual disk of each replica, 0 for none (default
   *     colo.coordinator.default-disk)
   * @param port TCP port the proxy serves the group on
   * @param bindAddress address the proxy binds the port to (default 127.0.0.1)
   * @param policy checkpoint and failure-detection policy (default colo.coordinator.policy)
   * @param args a WASI guest's arguments after its name (ignored for guest ABI v1)
   * @param env a WASI guest's environment ({@code COLO_LISTEN_FD} is the host's)
   * @param network how a WASI program meets its clients: {@code listen} (default: it accepts on the
   *     listening socket {@code COLO_LISTEN_FD}) or {@code inetd} (a fresh instance per connection,
   *     standard input and output the connection)
   * @param files text files (name to UTF-8 content) written into a WASI guest's {@code /data} at
   *     boot where no such file exists (groups with a disk)
   * @param appendfsync when the kv guest flushes its log: {@code always} (before each batch's
   *     replies), {@code everysec} (default: at most a second after a write) or {@code no} (never
   *     asked); the VMs get it as {@code COLO_APPENDFSYNC}, clients may still change it with {@code
   *     CONFIG SET appendfsync}
   */
  record Create(
      @NotBlank @Pattern(regexp = "[a-z0-9][a-z0-9-]{0,62}") String id,
      @NotBlank
          @Pattern(
              regexp = "[a-z][a-z0-9-]{0,62}",
              message = "must be a guest name: 1-63 of [a-z0-9-], starting with a letter")
          String guest,
      @Positive Long memoryBytes,
      @PositiveOrZero Long diskBytes,
      @NotNull @Min(1) @Max(65535) Integer port,
      @Size(max = 64) String bindAddress,
      @Valid PolicyBody policy,
      @Size(max = 64) List<@NotNull @Size(max = 4096) String> args,
      @Size(max = 64) Map<@NotNull String, @NotNull @Size(max = 4096) String> env,
      @Pattern(regexp = "listen|inetd", message = "must be listen or inetd") String network,
      @Size(max = WasiLaunch.MAX_FILES)
          Map<@NotNull String, @NotNull @Size(max = WasiLaunch.MAX_FILE_BYTES) String> files,
      @Pattern(regexp = "always|everysec|no", message = "must be always, everysec or no")
          String appendfsync) {}

  /**
   * A policy, durations in milliseconds; absent fields keep their current (or default) value.
   *
   * @param minIntervalMs checkpoints at most this often
   * @param maxIntervalMs a checkpoint at least this often
   * @param compareTimeoutMs one replica ahead of the other this long is a mismatch
   * @param heartbeatIntervalMs how often hosts are checked
   * @param missedBeats heartbeats a primary may miss before it is probed and failed over
   */
  record PolicyBody(
      @PositiveOrZero @Max(DAY_MS) Long minIntervalMs,
      @Positive @Max(DAY_MS) Long maxIntervalMs,
      @Positive @Max(DAY_MS) Long compareTimeoutMs,
      @Min(10) @Max(DAY_MS) Long heartbeatIntervalMs,
      @Min(1) @Max(1000) Integer missedBeats) {

    /**
     * This body over {@code base}; checked whole first, so that a refusal names the field.
     *
     * @param prefix how the request spells this body's fields, e.g. {@code policy.}
     */
    Policy over(Policy base, String prefix) {
      Duration min = minIntervalMs == null ? base.minInterval() : Duration.ofMillis(minIntervalMs);
      Duration max = maxIntervalMs == null ? base.maxInterval() : Duration.ofMillis(maxIntervalMs);
      if (max.compareTo(min) < 0) {
        throw new InvalidFieldException(
            prefix + (maxIntervalMs != null ? "maxIntervalMs" : "minIntervalMs"),
            "the maximum interval ("
                + max.toMillis()
                + " ms) must not be below the minimum ("
                + min.toMillis()
                + " ms)");
      }
      return new Policy(
          min,
          max,
          compareTimeoutMs == null ? base.compareTimeout() : Duration.ofMillis(compareTimeoutMs),
          heartbeatIntervalMs == null
              ? base.heartbeatInterval()
              : Duration.ofMillis(heartbeatIntervalMs),
          missedBeats == null ? base.missedBeats() : missedBeats);
    }
  }

  /**
   * {@code POST /v1/hosts/{name}/heartbeat}.
   *
   * @param role agent, mirror or proxy
   * @param url how the coordinator reaches that service
   * @param maxMemoryBytes an agent's largest VM memory (colo.agent.vm.max-memory), if it says
   * @param maxDiskBytes an agent's largest VM disk (colo.agent.vm.max-disk), if it says
   * @param replaces a proxy that took over from its warm standby pair's former holder: that one's
   *     URL (its groups move to this proxy)
   */
  record Heartbeat(
      @NotBlank @Pattern(regexp = "agent|mirror|proxy") String role,
      @NotBlank @ServiceUrl String url,
      @Positive Long maxMemoryBytes,
      @Positive Long maxDiskBytes,
      @ServiceUrl String replaces) {}
}
