package dev.coloha.agent.replication;

import java.net.URI;

/**
 * The other side of a pair.
 *
 * @param agentUrl base URL of the peer's replica agent, e.g. {@code http://10.0.0.2:7701}
 * @param vm the VM id there
 */
public record Peer(String agentUrl, String vm) {
  public URI streamUri(long epoch) {
    String base = agentUrl.endsWith("/") ? agentUrl.substring(0, agentUrl.length() - 1) : agentUrl;
    return URI.create(base + "/v1/vms/" + vm + "/replica-stream?epoch=" + epoch);
  }
}
