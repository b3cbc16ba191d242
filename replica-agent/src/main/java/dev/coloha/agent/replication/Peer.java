package dev.coloha.agent.replication;

import dev.coloha.api.agent.ReplicationRequests;
import java.net.URI;

/**
 * The other side of a pair.
 *
 * @param agentUrl base URL of the peer's replica agent, e.g. {@code http://10.0.0.2:7701}
 * @param vm the VM id there
 */
public record Peer(String agentUrl, String vm) {
  /** The peer as the agent's API shows it. */
  public ReplicationRequests.PeerRef ref() {
    return new ReplicationRequests.PeerRef(agentUrl, vm);
  }

  /** The checkpoint stream through the peer agent's HTTP server. */
  public URI streamUri(long epoch) {
    return URI.create(base() + "/v1/vms/" + vm + "/replica-stream?epoch=" + epoch);
  }

  /** The checkpoint stream through the peer agent's own stream listener on {@code port}. */
  public URI streamUri(long epoch, int port) {
    URI u = URI.create(base());
    return URI.create(
        u.getScheme()
            + "://"
            + u.getHost()
            + ":"
            + port
            + "/v1/vms/"
            + vm
            + "/replica-stream?epoch="
            + epoch);
  }

  /** Where the peer agent says its stream listener is. */
  public URI streamEndpointUri() {
    return URI.create(base() + "/v1/replica-stream");
  }

  private String base() {
    return agentUrl.endsWith("/") ? agentUrl.substring(0, agentUrl.length() - 1) : agentUrl;
  }
}
