package dev.coloha.microvm.guest;

import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import java.util.List;
import java.util.Map;

/** Names and signatures of guest ABI v1 (docs/guest-abi.md). */
public final class GuestAbi {
  public static final int VERSION = 1;
  public static final String IMPORT_MODULE = "colo";

  public static final String ABI_VERSION = "colo_abi_version";
  public static final String INITIALIZE = "_initialize";
  public static final String ALLOC = "colo_alloc";
  public static final String INIT = "colo_init";
  public static final String ON_OPEN = "colo_on_open";
  public static final String ON_DATA = "colo_on_data";
  public static final String ON_CLOSE = "colo_on_close";
  public static final String ON_TIMER = "colo_on_timer";
  public static final String MEMORY = "memory";

  private static final ValType I32 = ValType.I32;
  private static final ValType I64 = ValType.I64;

  /** Required exported functions and their exact types. */
  public static final Map<String, FunctionType> EXPORTS =
      Map.of(
          ABI_VERSION, type(List.of(), List.of(I32)),
          INITIALIZE, type(List.of(), List.of()),
          ALLOC, type(List.of(I32), List.of(I32)),
          INIT, type(List.of(), List.of(I32)),
          ON_OPEN, type(List.of(I32), List.of()),
          ON_DATA, type(List.of(I32, I32, I32), List.of()),
          ON_CLOSE, type(List.of(I32), List.of()),
          ON_TIMER, type(List.of(I32), List.of()));

  /** Every import the host provides, by name, with its exact type. */
  public static final Map<String, FunctionType> IMPORTS =
      Map.ofEntries(
          Map.entry("send", type(List.of(I32, I32, I32), List.of(I32))),
          Map.entry("close", type(List.of(I32), List.of(I32))),
          Map.entry("clock_realtime", type(List.of(), List.of(I64))),
          Map.entry("clock_monotonic", type(List.of(), List.of(I64))),
          Map.entry("random", type(List.of(I32, I32), List.of())),
          Map.entry("disk_size", type(List.of(), List.of(I64))),
          Map.entry("disk_read", type(List.of(I64, I32, I32), List.of(I32))),
          Map.entry("disk_write", type(List.of(I64, I32, I32), List.of(I32))),
          Map.entry("disk_flush", type(List.of(), List.of(I32))),
          Map.entry("timer_set", type(List.of(I32, I64), List.of(I32))),
          Map.entry("timer_cancel", type(List.of(I32), List.of(I32))),
          Map.entry("log", type(List.of(I32, I32, I32), List.of())),
          Map.entry("env_get", type(List.of(I32, I32, I32, I32), List.of(I32))));

  /** Error results of imports (negated in the guest's view). */
  public static final int OK = 0;

  public static final int E_NOCONN = -1;
  public static final int E_RANGE = -2;
  public static final int E_ALIGN = -3;
  public static final int E_IO = -4;
  public static final int E_NODISK = -5;
  public static final int E_LIMIT = -6;
  public static final int E_UNSET = -7;

  private static FunctionType type(List<ValType> params, List<ValType> results) {
    return FunctionType.of(params, results);
  }

  private GuestAbi() {}
}
