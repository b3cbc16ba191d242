package dev.coloha.coordinator.group;

import dev.coloha.api.proxy.ProxyEvent;
import dev.coloha.api.proxy.ProxyEventType;
import java.time.Instant;

/** The proxy's events as a group's worker gets them, built for tests. */
final class ProxyEvents {
  private static final String GROUP = "kv";

  private ProxyEvents() {}

  /** A content mismatch on connection 1: the proxy asks for a checkpoint. */
  static ProxyEvent mismatch() {
    return new ProxyEvent.Mismatch(
        1,
        ProxyEventType.MISMATCH,
        GROUP,
        Instant.now(),
        1,
        ProxyEvent.Mismatch.Kind.CONTENT,
        1,
        0,
        0,
        1,
        1,
        "a",
        "b",
        "61",
        "62",
        "the outputs differ",
        true,
        "/v1/groups/kv/mismatches/1/pcap");
  }

  /** Held output over its limit: the proxy asks for a checkpoint. */
  static ProxyEvent pressure() {
    return new ProxyEvent.Pressure(
        1,
        ProxyEventType.PRESSURE,
        GROUP,
        Instant.now(),
        ProxyEvent.Pressure.Reason.HELD,
        null,
        2,
        1,
        true);
  }

  static ProxyEvent heartbeat() {
    return new ProxyEvent.Heartbeat(1, ProxyEventType.HEARTBEAT, GROUP, Instant.now());
  }

  /** The output stream from the replica on {@code agentUrl} broke. */
  static ProxyEvent streamBroken(String agentUrl, String vm, String reason) {
    return new ProxyEvent.StreamBroken(
        1,
        ProxyEventType.STREAM_BROKEN,
        GROUP,
        Instant.now(),
        "PRIMARY",
        agentUrl,
        vm,
        "output",
        reason);
  }

  /** The proxy checkpointed the primary itself and committed it. */
  static ProxyEvent selfCheckpoint(long epoch, long sequence, boolean applied) {
    return new ProxyEvent.SelfCheckpoint(
        1,
        ProxyEventType.SELF_CHECKPOINT,
        GROUP,
        Instant.now(),
        epoch,
        sequence,
        "http://h1/kv",
        applied);
  }

  /** A checkpoint the proxy asked of the primary failed: it asks the coordinator for one. */
  static ProxyEvent selfCheckpointFailed(long epoch, long sequence, String problem) {
    return new ProxyEvent.SelfCheckpointFailed(
        1,
        ProxyEventType.SELF_CHECKPOINT_FAILED,
        GROUP,
        Instant.now(),
        epoch,
        sequence,
        "http://h1/kv",
        problem,
        "no answer",
        true);
  }
}
