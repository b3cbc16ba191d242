package dev.coloha.proxy.replica;

import java.time.Duration;
import java.util.Map;

/**
 * Timeouts, sizes and headers of the streams to one agent.
 *
 * @param headers headers every stream carries (the shared token)
 */
public record StreamSettings(
    Duration connectTimeout,
    Duration readTimeout,
    Duration heartbeatInterval,
    int maxFrame,
    Map<String, String> headers) {

  /** {@code extra} plus the shared headers. */
  public Map<String, String> headers(Map<String, String> extra) {
    Map<String, String> all = new java.util.LinkedHashMap<>(headers);
    all.putAll(extra);
    return all;
  }
}
