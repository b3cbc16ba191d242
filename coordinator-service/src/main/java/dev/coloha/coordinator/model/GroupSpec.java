package dev.coloha.coordinator.model;

import dev.coloha.microvm.Appendfsync;
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
 * @param appendfsync when the kv guest flushes its log: {@code always}, {@code everysec} (the
 *     default, also of a spec stored before the field) or {@code no}; its VMs get it as {@code
 *     COLO_APPENDFSYNC}
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
    Map<String, String> files,
    String appendfsync) {

  public GroupSpec {
    args = args == null ? List.of() : List.copyOf(args);
    env = env == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(env));
    network = network == null ? WasiLaunch.Network.LISTEN.apiName() : network;
    files = files == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(files));
    appendfsync = appendfsync == null ? Appendfsync.EVERYSEC.apiName() : appendfsync;
  }

  /**
   * What the group's VMs are started with: a WASI guest's arguments, network model and files, and
   * the environment, with {@code COLO_APPENDFSYNC} when the policy is not the default.
   */
  public WasiLaunch launch() {
    return launch(args, env, network, files, appendfsync);
  }

  /**
   * @throws IllegalArgumentException naming the field ({@code "field: problem"}) that is invalid
   */
  public static WasiLaunch launch(
      List<String> args,
      Map<String, String> env,
      String network,
      Map<String, String> files,
      String appendfsync) {
    if (env.containsKey(Appendfsync.ENV)) {
      throw new IllegalArgumentException(
          "env: " + Appendfsync.ENV + " is the group's appendfsync, not set through env");
    }
    Appendfsync policy = Appendfsync.ofApiName(appendfsync);
    WasiLaunch launch = new WasiLaunch(args, env, WasiLaunch.Network.ofApiName(network), files);
    return policy == Appendfsync.EVERYSEC ? launch : launch.withAppendfsync(policy);
  }

  /**
   * A spec without WASI arguments, environment or files, on the default network and fsync policy.
   */
  public GroupSpec(
      String id, String guest, long memoryBytes, long diskBytes, int port, String bindAddress) {
    this(id, guest, memoryBytes, diskBytes, port, bindAddress, null, null, null, null, null);
  }
}
