package dev.coloha.web.heartbeat;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Heartbeats to the coordinator ({@code colo.heartbeat.*}); off unless a coordinator URL is set.
 *
 * @param coordinatorUrl base URL of the coordinator, e.g. {@code http://127.0.0.1:7700}
 * @param host the host this service runs on (agents and mirrors of one host share it)
 * @param role what this service is: agent, mirror or proxy
 * @param advertiseUrl how others reach this service; default {@code http://127.0.0.1:<port>}
 * @param interval heartbeat period
 * @param timeout timeout of one heartbeat call
 */
@ConfigurationProperties("colo.heartbeat")
public record HeartbeatProperties(
    String coordinatorUrl,
    String host,
    String role,
    String advertiseUrl,
    @DefaultValue("250ms") Duration interval,
    @DefaultValue("1s") Duration timeout) {}
