package dev.coloha.api.proxy;

import java.time.Instant;

/**
 * What the proxy tells the coordinator, one JSON object per line on {@code GET
 * /v1/groups/{group}/events}. Every event has a group-wide increasing {@code id} (heartbeats repeat
 * the last one), a {@link ProxyEventType type} (which says which record it is) and the {@code
 * group}. A mismatch, a timeout, pressure and a failed self-checkpoint all mean "checkpoint
 * requested" ({@code checkpointRequested: true}). The proxy publishes these records; the
 * coordinator reads them back into the same records.
 */
public sealed interface ProxyEvent {
  long id();

  ProxyEventType type();

  String group();

  Instant time();

  /**
   * The replicas' output diverged on one connection (or a side stayed ahead too long).
   *
   * @param mismatch id in the mismatch history (for the .pcap)
   * @param kind how the outputs diverged
   * @param offset output offset of the divergence
   * @param primaryEnd primary output received for the connection so far
   * @param secondaryEnd secondary output of the interval received so far
   * @param primarySample the primary's bytes from the offset, escaped (bounded)
   * @param secondarySample the secondary's bytes from the offset, escaped (bounded)
   * @param primarySampleHex the same bytes in hex
   * @param secondarySampleHex the same bytes in hex
   * @param pcap where to download the forensic window
   */
  record Mismatch(
      long id,
      ProxyEventType type,
      String group,
      Instant time,
      long mismatch,
      Kind kind,
      int conn,
      long interval,
      long offset,
      long primaryEnd,
      long secondaryEnd,
      String primarySample,
      String secondarySample,
      String primarySampleHex,
      String secondarySampleHex,
      String detail,
      boolean checkpointRequested,
      String pcap)
      implements ProxyEvent {

    /** How the replicas' output diverged. */
    public enum Kind {
      /** Different bytes at the same offset. */
      CONTENT,
      /** One side stayed ahead of the other longer than the compare timeout. */
      TIMEOUT,
      /** One side closed the connection, the other did not (or sent more). */
      CLOSE
    }
  }

  /**
   * A buffer went over its limit: clients are paused (TCP backpressure) until a commit drains it.
   *
   * @param reason which buffer
   * @param conn the connection, or null for the whole group
   * @param bytes bytes in the buffer
   * @param limit its limit
   */
  record Pressure(
      long id,
      ProxyEventType type,
      String group,
      Instant time,
      Reason reason,
      Integer conn,
      long bytes,
      long limit,
      boolean checkpointRequested)
      implements ProxyEvent {

    /** Which buffer went over its limit. */
    public enum Reason {
      /** The primary's output waiting for the secondary's, or for a commit. */
      HELD,
      /** The clients' input kept since the last commit (replayed on failover). */
      RETAINED
    }
  }

  /**
   * A replica's stream ended or failed, or its guest crashed.
   *
   * @param replica PRIMARY or SECONDARY
   * @param stream output or input
   */
  record StreamBroken(
      long id,
      ProxyEventType type,
      String group,
      Instant time,
      String replica,
      String agentUrl,
      String vm,
      String stream,
      String reason)
      implements ProxyEvent {}

  /** The proxy switched replicas (failover) or attached a secondary. */
  record Switched(
      long id,
      ProxyEventType type,
      String group,
      Instant time,
      long epoch,
      String mode,
      String primary,
      String secondary,
      int connectionsReset)
      implements ProxyEvent {}

  /**
   * The proxy took a checkpoint of the primary itself (no coordinator decided one in time) and
   * committed it.
   *
   * @param epoch the epoch it was asked and committed in
   * @param sequence the checkpoint's number
   * @param primary the primary asked
   * @param applied whether the commit released anything (false: a commit at least as recent was
   *     there first)
   */
  record SelfCheckpoint(
      long id,
      ProxyEventType type,
      String group,
      Instant time,
      long epoch,
      long sequence,
      String primary,
      boolean applied)
      implements ProxyEvent {}

  /**
   * A checkpoint the proxy asked of the primary itself failed: the output stays held, and the
   * coordinator is asked for a checkpoint (a coordinator that subscribes later gets this event
   * first while no commit has resolved it).
   *
   * @param sequence the number asked for
   * @param problem why (the agent's problem slug, e.g. stale-epoch; unreachable; timeout)
   */
  record SelfCheckpointFailed(
      long id,
      ProxyEventType type,
      String group,
      Instant time,
      long epoch,
      long sequence,
      String primary,
      String problem,
      String detail,
      boolean checkpointRequested)
      implements ProxyEvent {}

  /** Sent on an idle stream so that both sides know the other is there. */
  record Heartbeat(long id, ProxyEventType type, String group, Instant time)
      implements ProxyEvent {}
}
