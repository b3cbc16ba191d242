package dev.coloha.web.heartbeat;

import java.util.Map;

/**
 * What a service advertises to the coordinator with each heartbeat besides its role and URL, e.g.
 * an agent's {@code maxMemoryBytes} and {@code maxDiskBytes}. A service declares one as a bean.
 */
@FunctionalInterface
public interface HeartbeatFacts {
  Map<String, Object> facts();
}
