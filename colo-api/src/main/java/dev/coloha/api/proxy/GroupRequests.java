package dev.coloha.api.proxy;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.coloha.api.CheckpointCommit;
import dev.coloha.api.Offset;
import dev.coloha.api.validation.ServiceUrl;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.PositiveOrZero;
import jakarta.validation.constraints.Size;
import java.time.Duration;
import java.util.List;

/** Bodies of the proxy's coordinator API. */
public final class GroupRequests {
  private GroupRequests() {}

  /**
   * {@code PUT /v1/groups/{group}}.
   *
   * @param epoch the group's epoch; a reconfiguration needs a higher one
   * @param listen where clients connect
   * @param mode COLO (default) or PASSTHROUGH
   * @param primary the primary replica
   * @param secondary the secondary replica (COLO only; null: unprotected)
   * @param compareTimeout ISO-8601 duration (default colo.proxy.compare.timeout)
   * @param limits overrides of colo.proxy.limits for this group
   * @param sync the checkpoint that synced the secondary: needed to attach one to a running group
   * @param resume for a service whose replicas already run (this proxy was restarted): the
   *     connections they still have, ended on both, and the first connection id to give a client;
   *     used only when the group is created
   */
  @JsonInclude(JsonInclude.Include.NON_NULL) // what is not set is not sent
  public record Put(
      @NotNull @PositiveOrZero Long epoch,
      @NotNull @Valid Listen listen,
      Mode mode,
      @NotNull @Valid Replica primary,
      @Valid Replica secondary,
      Duration compareTimeout,
      @Valid Limits limits,
      @Valid Sync sync,
      @Valid Resume resume) {}

  /**
   * A proxy serves running replicas anew.
   *
   * @param nextConnection the first connection id to give a client (above every id the replicas
   *     know)
   * @param lostConnections the connections the replicas still have, with their input offsets: each
   *     is ended on both replicas
   */
  public record Resume(
      @NotNull @Positive Integer nextConnection, List<@Valid Offset> lostConnections) {}

  public enum Mode {
    COLO,
    PASSTHROUGH
  }

  /**
   * @param address bind address (default 127.0.0.1)
   * @param port TCP port (0 picks a free one; the answer says which)
   */
  public record Listen(
      @Size(max = 64) String address, @NotNull @PositiveOrZero @Max(65535) Integer port) {}

  /**
   * @param agentUrl base URL of the replica agent, e.g. http://10.0.0.5:7701
   * @param vm VM id on that agent
   */
  public record Replica(
      @NotBlank @ServiceUrl String agentUrl,
      @NotBlank @Pattern(regexp = "[a-z0-9][a-z0-9-]{0,62}") String vm) {}

  /** Per-group limits in bytes (and connections); absent ones take the proxy's defaults. */
  public record Limits(
      @Positive Long heldPerConnection,
      @Positive Long heldPerGroup,
      @Positive Long retainedInputPerConnection,
      @Positive Long retainedInputPerGroup,
      @Positive Integer maxConnections) {}

  /**
   * The checkpoint that synced a newly attached secondary.
   *
   * @param sequence its number
   * @param outputOffsets the primary's output offsets at its pause
   * @param inputOffsets the primary's consumed input offsets at its pause
   * @param closedConnections connections that ended before it
   */
  public record Sync(
      @NotNull @PositiveOrZero Long sequence,
      List<@Valid Offset> outputOffsets,
      List<@Valid Offset> inputOffsets,
      List<Integer> closedConnections) {}

  /**
   * {@code POST /v1/groups/{group}/commits}: checkpoint {@code sequence} was applied by the
   * secondary.
   */
  public record Commit(
      @NotNull @PositiveOrZero Long epoch,
      @NotNull @PositiveOrZero Long sequence,
      List<@Valid Offset> outputOffsets,
      List<@Valid Offset> inputOffsets,
      List<Integer> closedConnections) {

    /** The commit of {@code checkpoint} in {@code epoch}, as the agent answered it. */
    public static Commit of(long epoch, CheckpointCommit checkpoint) {
      return new Commit(
          epoch,
          checkpoint.sequence(),
          checkpoint.outputOffsets(),
          checkpoint.inputOffsets(),
          checkpoint.closedConnections());
    }

    /** The checkpoint committed. */
    public CheckpointCommit checkpoint() {
      return new CheckpointCommit(sequence, outputOffsets, inputOffsets, closedConnections);
    }
  }

  /**
   * {@code POST /v1/groups/{group}/failover}.
   *
   * @param epoch the new epoch (above the group's)
   * @param primary the replica that is the only one from now on (usually the old secondary)
   */
  public record Failover(@NotNull @PositiveOrZero Long epoch, @NotNull @Valid Replica primary) {}

  /** What a commit did. */
  public record CommitResult(
      boolean applied,
      long committedSequence,
      long compareInterval,
      long heldPrimaryBytes,
      long keptSecondaryBytes) {}

  /** A mismatch in the history. */
  public record MismatchView(
      long id,
      String time,
      String kind,
      int conn,
      long interval,
      long offset,
      long primaryEnd,
      long secondaryEnd,
      String primarySample,
      String secondarySample,
      String detail,
      String pcap) {}
}
