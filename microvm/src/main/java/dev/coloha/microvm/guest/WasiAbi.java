package dev.coloha.microvm.guest;

import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * WASI preview 1 as COLO HA hosts it (docs/guest-abi.md, "WASI guests"): the import module, the
 * type of every function it defines, the imports that may block (instrumented with Asyncify) and
 * the Asyncify exports the host drives.
 */
public final class WasiAbi {
  public static final String IMPORT_MODULE = "wasi_snapshot_preview1";
  public static final String START = "_start";
  public static final String MEMORY = "memory";

  /** Environment variable naming the descriptor of the group's listening socket. */
  public static final String LISTEN_FD_ENV = "COLO_LISTEN_FD";

  /** The descriptor of the listening socket (after stdin, stdout, stderr). */
  public static final int LISTEN_FD = 3;

  public static final String ASYNCIFY_START_UNWIND = "asyncify_start_unwind";
  public static final String ASYNCIFY_STOP_UNWIND = "asyncify_stop_unwind";
  public static final String ASYNCIFY_START_REWIND = "asyncify_start_rewind";
  public static final String ASYNCIFY_STOP_REWIND = "asyncify_stop_rewind";
  public static final String ASYNCIFY_GET_STATE = "asyncify_get_state";

  public static final List<String> ASYNCIFY_EXPORTS =
      List.of(
          ASYNCIFY_START_UNWIND,
          ASYNCIFY_STOP_UNWIND,
          ASYNCIFY_START_REWIND,
          ASYNCIFY_STOP_REWIND,
          ASYNCIFY_GET_STATE);

  /** The imports that may wait for input: the only ones Asyncify instruments. */
  public static final List<String> BLOCKING_IMPORTS =
      List.of("poll_oneoff", "sock_accept", "sock_recv", "fd_read");

  /** Every preview 1 function and its type. */
  public static final Map<String, FunctionType> IMPORTS = imports();

  private WasiAbi() {}

  /** The {@code --pass-arg} value that names the blocking imports for {@code wasm-opt}. */
  public static String asyncifyImportsArg() {
    List<String> names = new ArrayList<>();
    for (String f : BLOCKING_IMPORTS) {
      names.add(IMPORT_MODULE + "." + f);
    }
    return "asyncify-imports@" + String.join(",", names);
  }

  private static Map<String, FunctionType> imports() {
    Map<String, FunctionType> m = new TreeMap<>();
    // i = i32, I = i64; every function but proc_exit answers an errno (i32)
    String[][] sigs = {
      {"args_get", "ii"},
      {"args_sizes_get", "ii"},
      {"environ_get", "ii"},
      {"environ_sizes_get", "ii"},
      {"clock_res_get", "ii"},
      {"clock_time_get", "iIi"},
      {"fd_advise", "iIIi"},
      {"fd_allocate", "iII"},
      {"fd_close", "i"},
      {"fd_datasync", "i"},
      {"fd_fdstat_get", "ii"},
      {"fd_fdstat_set_flags", "ii"},
      {"fd_fdstat_set_rights", "iII"},
      {"fd_filestat_get", "ii"},
      {"fd_filestat_set_size", "iI"},
      {"fd_filestat_set_times", "iIIi"},
      {"fd_pread", "iiiIi"},
      {"fd_prestat_get", "ii"},
      {"fd_prestat_dir_name", "iii"},
      {"fd_pwrite", "iiiIi"},
      {"fd_read", "iiii"},
      {"fd_readdir", "iiiIi"},
      {"fd_renumber", "ii"},
      {"fd_seek", "iIii"},
      {"fd_sync", "i"},
      {"fd_tell", "ii"},
      {"fd_write", "iiii"},
      {"path_create_directory", "iii"},
      {"path_filestat_get", "iiiii"},
      {"path_filestat_set_times", "iiiiIIi"},
      {"path_link", "iiiiiii"},
      {"path_open", "iiiiiIIii"},
      {"path_readlink", "iiiiii"},
      {"path_remove_directory", "iii"},
      {"path_rename", "iiiiii"},
      {"path_symlink", "iiiii"},
      {"path_unlink_file", "iii"},
      {"poll_oneoff", "iiii"},
      {"proc_raise", "i"},
      {"sched_yield", ""},
      {"random_get", "ii"},
      {"sock_accept", "iii"},
      {"sock_recv", "iiiiii"},
      {"sock_send", "iiiii"},
      {"sock_shutdown", "ii"},
    };
    for (String[] s : sigs) {
      m.put(s[0], FunctionType.of(params(s[1]), List.of(ValType.I32)));
    }
    m.put("proc_exit", FunctionType.of(List.of(ValType.I32), List.of()));
    return Map.copyOf(m);
  }

  private static List<ValType> params(String code) {
    List<ValType> out = new ArrayList<>();
    for (char c : code.toCharArray()) {
      out.add(c == 'I' ? ValType.I64 : ValType.I32);
    }
    return out;
  }
}
