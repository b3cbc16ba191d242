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
  public WasiLaunch {
    args = List.copyOf(args);
    env = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(env));
  }

  public static WasiLaunch none() {
    return new WasiLaunch(List.of(), Map.of());
  }
}
