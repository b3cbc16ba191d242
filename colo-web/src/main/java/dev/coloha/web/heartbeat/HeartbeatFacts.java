package dev.coloha.web.heartbeat;

import java.util.Map;

/**
 * What a service advertises to the coordinator with each heartbeat besides its role and URL, e.g.
 * an agent's {@code maxMemoryBytes} and {@code maxDiskBytes}; a proxy that took over from its
 * standby pair's former holder, {@code replaces}. A service declares one as a bean; it is asked at
 * every beat.
 */
@FunctionalInterface
public interface HeartbeatFacts {
  Map<String, Object> facts();
}
