package dev.coloha.api.agent;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.coloha.api.validation.ServiceUrl;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.PositiveOrZero;

/** Bodies of the replication endpoints. */
public final class ReplicationRequests {
  private ReplicationRequests() {}

  /**
   * @param epoch the group's epoch
   */
  public record Secondary(@NotNull @PositiveOrZero Long epoch) {}

  /**
   * @param epoch the group's epoch
   * @param secondary where the secondary VM lives
   */
  public record Primary(@NotNull @PositiveOrZero Long epoch, @NotNull @Valid PeerRef secondary) {}

  /**
   * @param agentUrl base URL of the secondary's agent
   * @param vm VM id on that agent
   */
  public record PeerRef(
      @NotBlank @ServiceUrl String agentUrl,
      @NotBlank @Pattern(regexp = "[a-z0-9][a-z0-9-]{0,62}") String vm) {}

  /**
   * @param epoch the group's epoch
   * @param sequence checkpoint number to take (default: the next one); repeating the last completed
   *     number returns its result again
   * @param verify also compare memory digests of both replicas (adds to both pauses)
   */
  @JsonInclude(JsonInclude.Include.NON_NULL) // what is not set is not sent
  public record Checkpoint(
      @NotNull @PositiveOrZero Long epoch, @PositiveOrZero Long sequence, Boolean verify) {}

  /**
   * @param epoch the new epoch, above the VM's current one
   */
  public record Promote(@NotNull @PositiveOrZero Long epoch) {}
}
