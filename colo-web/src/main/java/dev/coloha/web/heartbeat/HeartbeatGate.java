package dev.coloha.web.heartbeat;

/**
 * What a service's first heartbeat waits for, when it declares one as a bean: a standby proxy beats
 * (and so registers with the coordinator) only once it is the active one. Without one a service
 * beats as soon as it serves.
 */
@FunctionalInterface
public interface HeartbeatGate {
  /** Returns when the service may beat; blocks until then. */
  void awaitOpen() throws InterruptedException;
}
