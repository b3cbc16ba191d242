package dev.coloha.microvm;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a WASI guest is started with, besides its descriptors: its arguments (after the program
 * name, which is the guest's name) and its environment ({@code COLO_LISTEN_FD} is added by the
 * host). Ignored for guests of ABI v1.
 */
public record WasiLaunch(List<String> args, Map<String, String> env) {
  private static final java.util.regex.Pattern NAME =
      java.util.regex.Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");

  /**
   * @throws IllegalArgumentException naming {@code args} or {@code env} if an argument or a
   *     variable cannot be passed (a NUL byte, a name that is not a variable name)
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
    args = List.copyOf(args);
    env = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(env));
  }

  public static WasiLaunch none() {
    return new WasiLaunch(List.of(), Map.of());
  }
}
