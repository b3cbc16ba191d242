package dev.coloha.api.proxy;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Optional;

/** The {@code type} of a {@link ProxyEvent}: its slug on the wire and the record it is. */
public enum ProxyEventType {
  MISMATCH("mismatch", ProxyEvent.Mismatch.class),
  PRESSURE("pressure", ProxyEvent.Pressure.class),
  STREAM_BROKEN("stream-broken", ProxyEvent.StreamBroken.class),
  FAILOVER("failover", ProxyEvent.Switched.class),
  SECONDARY_ATTACHED("secondary-attached", ProxyEvent.Switched.class),
  SELF_CHECKPOINT("self-checkpoint", ProxyEvent.SelfCheckpoint.class),
  SELF_CHECKPOINT_FAILED("self-checkpoint-failed", ProxyEvent.SelfCheckpointFailed.class),
  HEARTBEAT("heartbeat", ProxyEvent.Heartbeat.class);

  private final String slug;
  private final Class<? extends ProxyEvent> record;

  ProxyEventType(String slug, Class<? extends ProxyEvent> record) {
    this.slug = slug;
    this.record = record;
  }

  /** How the type is written on the wire, e.g. {@code stream-broken}. */
  @JsonValue
  public String slug() {
    return slug;
  }

  /** The record an event of this type is. */
  public Class<? extends ProxyEvent> record() {
    return record;
  }

  /** The type of {@code slug}; empty for one this build does not know (a newer proxy's). */
  public static Optional<ProxyEventType> ofSlug(String slug) {
    return Arrays.stream(values()).filter(t -> t.slug.equals(slug)).findFirst();
  }

  @Override
  public String toString() {
    return slug;
  }
}
