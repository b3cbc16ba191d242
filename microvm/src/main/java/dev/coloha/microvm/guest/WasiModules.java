package dev.coloha.microvm.guest;

import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.Export;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Import;
import dev.coloha.microvm.InvalidGuestException;
import java.util.HashMap;
import java.util.Map;

/** What makes a module a WASI guest COLO HA can run, and the checks it must pass. */
final class WasiModules {
  private WasiModules() {}

  /** A command module ({@code _start}) that imports from WASI preview 1 and not from colo. */
  static boolean isWasi(WasmModule module) {
    boolean wasi = false;
    var imports = module.importSection();
    for (int i = 0; i < imports.importCount(); i++) {
      String m = imports.getImport(i).module();
      if (GuestAbi.IMPORT_MODULE.equals(m)) {
        return false;
      }
      wasi |= WasiAbi.IMPORT_MODULE.equals(m);
    }
    return wasi && exports(module).containsKey(WasiAbi.START);
  }

  /** Whether the module carries Binaryen's Asyncify exports. */
  static boolean instrumented(WasmModule module) {
    Map<String, Export> exports = exports(module);
    for (String e : WasiAbi.ASYNCIFY_EXPORTS) {
      Export x = exports.get(e);
      if (x == null || x.exportType() != ExternalType.FUNCTION) {
        return false;
      }
    }
    return true;
  }

  /** Imports: functions of WASI preview 1 only, each of its preview 1 type; exports memory. */
  static void check(String name, WasmModule module) {
    var imports = module.importSection();
    for (int i = 0; i < imports.importCount(); i++) {
      Import imp = imports.getImport(i);
      String what = imp.module() + "." + imp.name();
      if (!WasiAbi.IMPORT_MODULE.equals(imp.module())) {
        throw new InvalidGuestException(
            "guest '"
                + name
                + "' imports "
                + what
                + ": a WASI guest may import only from '"
                + WasiAbi.IMPORT_MODULE
                + "'");
      }
      if (!(imp instanceof FunctionImport f)) {
        throw new InvalidGuestException(
            "guest '" + name + "' imports " + what + " as a " + imp.importType());
      }
      FunctionType expected = WasiAbi.IMPORTS.get(imp.name());
      if (expected == null) {
        throw new InvalidGuestException(
            "guest '" + name + "' imports " + what + ", which WASI preview 1 does not define");
      }
      FunctionType actual = module.typeSection().getType(f.typeIndex());
      if (!actual.equals(expected)) {
        throw new InvalidGuestException(
            "guest '"
                + name
                + "' imports "
                + what
                + " as "
                + actual
                + "; WASI preview 1 says "
                + expected);
      }
    }
    Export memory = exports(module).get(WasiAbi.MEMORY);
    if (memory == null || memory.exportType() != ExternalType.MEMORY) {
      throw new InvalidGuestException(
          "guest '" + name + "' does not export its memory as 'memory'");
    }
    Export start = exports(module).get(WasiAbi.START);
    if (start == null || start.exportType() != ExternalType.FUNCTION) {
      throw new InvalidGuestException(
          "guest '" + name + "' has no _start: build it as a command, not a reactor");
    }
  }

  private static Map<String, Export> exports(WasmModule module) {
    Map<String, Export> out = new HashMap<>();
    var section = module.exportSection();
    for (int i = 0; i < section.exportCount(); i++) {
      out.put(section.getExport(i).name(), section.getExport(i));
    }
    return out;
  }
}
