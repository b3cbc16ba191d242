package dev.coloha.coordinator.model;

import dev.coloha.microvm.WasiLaunch;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a portal asked for.
 *
 * @param id group id
 * @param guest guest name (kv, http, or an uploaded one)
 * @param memoryBytes memory limit of each replica
 * @param diskBytes virtual disk of each replica (0: none)
 * @param port the proxy's TCP port for the service
 * @param bindAddress the proxy's bind address for the service
 * @param args a WASI guest's arguments after its name (empty for guest ABI v1)
 * @param env a WASI guest's environment
 * @param network how a WASI program meets its clients: {@code listen} (the default) or {@code
 *     inetd}
 * @param files text files written into a WASI guest's {@code /data} at boot where absent
 */
public record GroupSpec(
    String id,
    String guest,
    long memoryBytes,
    long diskBytes,
    int port,
    String bindAddress,
    List<String> args,
    Map<String, String> env,
    String network,
    Map<String, String> files) {

  public GroupSpec {
    args = args == null ? List.of() : List.copyOf(args);
    env = env == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(env));
    network = network == null ? WasiLaunch.Network.LISTEN.apiName() : network;
    files = files == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(files));
  }

  public GroupSpec(
      String id,
      String guest,
      long memoryBytes,
      long diskBytes,
      int port,
      String bindAddress,
      List<String> args,
      Map<String, String> env) {
    this(id, guest, memoryBytes, diskBytes, port, bindAddress, args, env, null, null);
  }

  /** What a WASI guest's VMs are started with. */
  public WasiLaunch launch() {
    return new WasiLaunch(args, env, WasiLaunch.Network.ofApiName(network), files);
  }

  public GroupSpec(
      String id, String guest, long memoryBytes, long diskBytes, int port, String bindAddress) {
    this(id, guest, memoryBytes, diskBytes, port, bindAddress, List.of(), Map.of());
  }
}
