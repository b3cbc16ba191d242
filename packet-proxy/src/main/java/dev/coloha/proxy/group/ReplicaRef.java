package dev.coloha.proxy.group;

import java.util.Objects;

/** A VM on a replica agent. */
public record ReplicaRef(String agentUrl, String vm) {
  public ReplicaRef {
    Objects.requireNonNull(agentUrl, "agentUrl");
    Objects.requireNonNull(vm, "vm");
    while (agentUrl.endsWith("/")) {
      agentUrl = agentUrl.substring(0, agentUrl.length() - 1);
    }
  }

  @Override
  public String toString() {
    return agentUrl + "/v1/vms/" + vm;
  }
}
