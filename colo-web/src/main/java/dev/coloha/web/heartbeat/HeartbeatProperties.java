package dev.coloha.web.heartbeat;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Heartbeats to the coordinator ({@code colo.heartbeat.*}); off unless a coordinator URL is set.
 *
 * @param coordinatorUrl base URL of the coordinator, e.g. {@code http://127.0.0.1:7700}
 * @param host the host this service runs on (agents and mirrors of one host share it); default the
 *     machine's host name ({@code $HOSTNAME}, else the name the local address resolves to)
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
    @DefaultValue("1s") Duration timeout) {

  public HeartbeatProperties {
    if (host == null || host.isBlank()) {
      host = localHostName(System.getenv("HOSTNAME"));
    }
  }

  /** How others reach this service: the advertise URL, else {@code http://127.0.0.1:<port>}. */
  public String advertisedUrl(int port) {
    return advertiseUrl != null && !advertiseUrl.isBlank()
        ? advertiseUrl
        : "http://127.0.0.1:" + port;
  }

  /** The host name a service beats as when none is configured: {@code $HOSTNAME}, else DNS's. */
  static String localHostName(String hostnameVariable) {
    if (hostnameVariable != null && !hostnameVariable.isBlank()) {
      return hostnameVariable;
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "localhost";
    }
  }
}
