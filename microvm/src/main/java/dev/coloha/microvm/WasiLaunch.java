package dev.coloha.microvm;

import dev.coloha.api.agent.CreateVmRequest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a WASI guest is started with, besides its descriptors: its arguments (after the program
 * name, which is the guest's name), its environment ({@code COLO_LISTEN_FD} is added by the host)
 * how it meets its clients ({@link Network}) and text files written into {@code /data} at boot
 * where absent ({@code files}: name to UTF-8 content; a VM without a disk ignores them). A guest of
 * ABI v1 has only the environment (its {@code env_get} import); the rest is WASI's.
 */
public record WasiLaunch(
    List<String> args, Map<String, String> env, Network network, Map<String, String> files) {
  /** The most files {@code files} may hold (the limit the agent's API states). */
  public static final int MAX_FILES = CreateVmRequest.MAX_FILES;

  /** The largest file of {@code files}, in bytes (UTF-8; the limit the agent's API states). */
  public static final int MAX_FILE_BYTES = CreateVmRequest.MAX_FILE_BYTES;

  /** The most bytes (UTF-8) all of {@code files} may hold. */
  public static final int MAX_FILES_BYTES = 1 << 20;

  private static final java.util.regex.Pattern FILE_NAME =
      java.util.regex.Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}");

  /** How a WASI program meets its clients (docs/guest-abi.md). */
  public enum Network {
    /**
     * One program for the VM's life: it accepts the connections the proxy delivers on the
     * pre-opened listening socket {@code COLO_LISTEN_FD}.
     */
    LISTEN,
    /**
     * An inetd program: every connection is served, one at a time in the order delivered, by a
     * fresh instance of the module whose standard input and output are the connection; its exit
     * closes the connection.
     */
    INETD;

    /** The name in the API ({@code listen}, {@code inetd}). */
    public String apiName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * @throws IllegalArgumentException naming {@code network} if {@code name} is not one
     */
    public static Network ofApiName(String name) {
      if (name == null) {
        return LISTEN;
      }
      for (Network n : values()) {
        if (n.apiName().equals(name)) {
          return n;
        }
      }
      throw new IllegalArgumentException(
          "network: '" + name + "' is not a network model (listen or inetd)");
    }
  }

  private static final java.util.regex.Pattern NAME =
      java.util.regex.Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");

  /**
   * @throws IllegalArgumentException naming {@code args}, {@code env} or {@code files} if an
   *     argument, a variable or a file cannot be passed (a NUL byte, a name that is not a variable
   *     name or a file name of {@code /data}, a file beyond the limits)
   */
  public WasiLaunch {
    for (String a : args) {
      if (a == null || a.indexOf('\0') >= 0) {
        throw new IllegalArgumentException("args: an argument is null or holds a NUL byte");
      }
    }
    for (Map.Entry<String, String> e : env.entrySet()) {
      if (e.getKey() == null || !NAME.matcher(e.getKey()).matches()) {
        throw new IllegalArgumentException(
            "env: '" + e.getKey() + "' is not a variable name ([A-Za-z_][A-Za-z0-9_]{0,127})");
      }
      if (e.getValue() == null || e.getValue().indexOf('\0') >= 0) {
        throw new IllegalArgumentException(
            "env: the value of " + e.getKey() + " is null or holds a NUL byte");
      }
    }
    String policy = env.get(Appendfsync.ENV);
    if (policy != null) {
      try {
        Appendfsync.ofApiName(policy);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "env: " + Appendfsync.ENV + " '" + policy + "' is not always, everysec or no");
      }
    }
    network = network == null ? Network.LISTEN : network;
    files = files == null ? Map.of() : files;
    if (files.size() > MAX_FILES) {
      throw new IllegalArgumentException("files: " + files.size() + " files, at most " + MAX_FILES);
    }
    long total = 0;
    for (Map.Entry<String, String> e : files.entrySet()) {
      if (e.getKey() == null || !FILE_NAME.matcher(e.getKey()).matches()) {
        throw new IllegalArgumentException(
            "files: '"
                + e.getKey()
                + "' is not a file name of /data ([A-Za-z0-9_][A-Za-z0-9._-]{0,127})");
      }
      if (e.getValue() == null) {
        throw new IllegalArgumentException("files: the content of " + e.getKey() + " is null");
      }
      int bytes = e.getValue().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
      if (bytes > MAX_FILE_BYTES) {
        throw new IllegalArgumentException(
            "files: " + e.getKey() + " has " + bytes + " bytes, at most " + MAX_FILE_BYTES);
      }
      total += bytes;
    }
    if (total > MAX_FILES_BYTES) {
      throw new IllegalArgumentException(
          "files: " + total + " bytes in all, at most " + MAX_FILES_BYTES);
    }
    files = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(files));
    args = List.copyOf(args);
    env = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(env));
  }

  public WasiLaunch(List<String> args, Map<String, String> env) {
    this(args, env, Network.LISTEN, Map.of());
  }

  public static WasiLaunch none() {
    return new WasiLaunch(List.of(), Map.of());
  }

  /** This launch with {@code appendfsync} in its environment ({@link Appendfsync#ENV}). */
  public WasiLaunch withAppendfsync(Appendfsync appendfsync) {
    Map<String, String> withPolicy = new LinkedHashMap<>(env);
    withPolicy.put(Appendfsync.ENV, appendfsync.apiName());
    return new WasiLaunch(args, withPolicy, network, files);
  }

  public boolean inetd() {
    return network == Network.INETD;
  }

  /**
   * The first field that only a WASI guest can use, if this launch sets one: a guest written
   * against ABI v1 has no arguments, network model or {@code /data} (it has an environment), so a
   * launch that sets them for it is refused rather than ignored.
   */
  public java.util.Optional<String> wasiOnlyField() {
    if (!args.isEmpty()) {
      return java.util.Optional.of("args");
    }
    if (network != Network.LISTEN) {
      return java.util.Optional.of("network");
    }
    if (!files.isEmpty()) {
      return java.util.Optional.of("files");
    }
    return java.util.Optional.empty();
  }
}
