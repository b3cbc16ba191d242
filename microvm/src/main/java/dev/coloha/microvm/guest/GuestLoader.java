package dev.coloha.microvm.guest;

import com.dylibso.chicory.compiler.InterpreterFallback;
import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.InterpreterMachine;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.Export;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Global;
import com.dylibso.chicory.wasm.types.Import;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.MutabilityType;
import com.dylibso.chicory.wasm.types.OpCode;
import com.dylibso.chicory.wasm.types.ValType;
import dev.coloha.microvm.InvalidGuestException;
import dev.coloha.microvm.UnsupportedAbiException;
import dev.coloha.microvm.memory.TrackedMemory;
import dev.coloha.wire.LimitExceededException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Turns module bytes into a {@link GuestModule}: size check, parse, ABI v1 validation, compile,
 * version check. Every refusal is an {@link InvalidGuestException}, {@link UnsupportedAbiException}
 * or {@link LimitExceededException} with a message that says what to fix.
 */
public final class GuestLoader {
  private static final Set<OpCode> TABLE_MUTATIONS =
      EnumSet.of(
          OpCode.TABLE_SET,
          OpCode.TABLE_GROW,
          OpCode.TABLE_FILL,
          OpCode.TABLE_COPY,
          OpCode.TABLE_INIT,
          OpCode.ELEM_DROP);

  private final int maxModuleBytes;
  private final Set<Integer> supportedVersions;
  private final boolean compile;
  private final AsyncifyInstrumenter asyncify;

  /**
   * @param maxModuleBytes largest module accepted
   * @param supportedVersions ABI versions this host implements
   * @param compile use Chicory's compiler (true in production; the interpreter is ~60x slower)
   */
  public GuestLoader(int maxModuleBytes, Set<Integer> supportedVersions, boolean compile) {
    this(maxModuleBytes, supportedVersions, compile, AsyncifyInstrumenter.NONE);
  }

  /**
   * @param asyncify instruments plain WASI modules ({@link AsyncifyInstrumenter#NONE}: only modules
   *     uploaded instrumented are accepted)
   */
  public GuestLoader(
      int maxModuleBytes,
      Set<Integer> supportedVersions,
      boolean compile,
      AsyncifyInstrumenter asyncify) {
    this.maxModuleBytes = maxModuleBytes;
    this.supportedVersions = Set.copyOf(supportedVersions);
    this.compile = compile;
    this.asyncify = asyncify;
  }

  /**
   * The module that will run for these uploaded bytes: a plain WASI module instrumented with
   * Asyncify, anything else as it is (checked by {@link #load}).
   */
  public byte[] runnable(String name, byte[] bytes) {
    WasmModule module = parse(name, bytes);
    if (WasiModules.isWasi(module) && !WasiModules.instrumented(module)) {
      WasiModules.check(name, module);
      return asyncify.instrument(name, bytes);
    }
    return bytes;
  }

  public GuestModule load(String name, byte[] bytes) {
    WasmModule module = parse(name, bytes);
    if (WasiModules.isWasi(module)) {
      return loadWasi(name, bytes, module);
    }
    checkImports(name, module);
    checkExports(name, module);
    checkMemory(name, module);
    List<GuestModule.MutableGlobal> globals = mutableGlobals(name, module);
    checkTables(name, module);

    Function<Instance, Machine> factory = machineFactory(name, module);
    int version = abiVersion(name, module, factory);
    if (!supportedVersions.contains(version)) {
      throw new UnsupportedAbiException(version, supportedVersions);
    }
    return new GuestModule(
        name,
        sha256(bytes),
        bytes.length,
        module,
        factory,
        version,
        globals,
        GuestModule.Abi.COLO_V1);
  }

  private WasmModule parse(String name, byte[] bytes) {
    if (bytes.length > maxModuleBytes) {
      throw new LimitExceededException("guest module size", bytes.length, maxModuleBytes);
    }
    try {
      return Parser.parse(bytes);
    } catch (ChicoryException | IllegalArgumentException | IndexOutOfBoundsException e) {
      throw new InvalidGuestException(
          "guest '" + name + "' is not a valid Wasm module: " + e.getMessage(), e);
    }
  }

  /**
   * A WASI command module: checked, instrumented with Asyncify unless it already is, compiled. The
   * module's identity (hash, size) is that of the instrumented bytes, which is what runs.
   */
  private GuestModule loadWasi(String name, byte[] bytes, WasmModule module) {
    WasiModules.check(name, module);
    if (!WasiModules.instrumented(module)) {
      bytes = asyncify.instrument(name, bytes);
      module = parse(name, bytes);
      WasiModules.check(name, module);
      if (!WasiModules.instrumented(module)) {
        throw new InvalidGuestException(
            "guest '" + name + "': the instrumented module lacks the Asyncify exports");
      }
    }
    checkMemory(name, module);
    List<GuestModule.MutableGlobal> globals = mutableGlobals(name, module);
    checkTables(name, module);
    Function<Instance, Machine> factory = machineFactory(name, module);
    return new GuestModule(
        name, sha256(bytes), bytes.length, module, factory, 0, globals, GuestModule.Abi.WASI_P1);
  }

  private Function<Instance, Machine> machineFactory(String name, WasmModule module) {
    try {
      return compile
          ? MachineFactoryCompiler.builder(module)
              .withInterpreterFallback(InterpreterFallback.SILENT)
              .compile()
          : InterpreterMachine::new;
    } catch (ChicoryException | IllegalStateException e) {
      throw new InvalidGuestException(
          "guest '" + name + "' failed to compile: " + e.getMessage(), e);
    }
  }

  private static void checkImports(String name, WasmModule module) {
    var imports = module.importSection();
    for (int i = 0; i < imports.importCount(); i++) {
      Import imp = imports.getImport(i);
      String what = imp.module() + "." + imp.name();
      if (!GuestAbi.IMPORT_MODULE.equals(imp.module())) {
        throw new InvalidGuestException(
            "guest '"
                + name
                + "' imports "
                + what
                + ": guest ABI v1 provides only module '"
                + GuestAbi.IMPORT_MODULE
                + "' (no WASI)");
      }
      if (!(imp instanceof FunctionImport f)) {
        throw new InvalidGuestException(
            "guest '"
                + name
                + "' imports "
                + what
                + " as a "
                + imp.importType()
                + ": only functions can be imported");
      }
      FunctionType expected = GuestAbi.IMPORTS.get(imp.name());
      if (expected == null) {
        throw new InvalidGuestException(
            "guest '"
                + name
                + "' imports unknown function "
                + what
                + "; known: "
                + GuestAbi.IMPORTS.keySet().stream().sorted().toList());
      }
      FunctionType actual = module.typeSection().getType(f.typeIndex());
      if (!actual.equals(expected)) {
        throw new InvalidGuestException(
            "guest '" + name + "' imports " + what + " as " + actual + "; ABI v1 says " + expected);
      }
    }
  }

  private static void checkExports(String name, WasmModule module) {
    Map<String, Export> exports = new HashMap<>();
    var section = module.exportSection();
    for (int i = 0; i < section.exportCount(); i++) {
      exports.put(section.getExport(i).name(), section.getExport(i));
    }
    Export memory = exports.get(GuestAbi.MEMORY);
    if (memory == null || memory.exportType() != ExternalType.MEMORY) {
      throw new InvalidGuestException(
          "guest '" + name + "' does not export its memory as 'memory'");
    }
    int importedFunctions = module.importSection().count(ExternalType.FUNCTION);
    for (var entry : GuestAbi.EXPORTS.entrySet()) {
      Export e = exports.get(entry.getKey());
      if (e == null || e.exportType() != ExternalType.FUNCTION) {
        throw new InvalidGuestException(
            "guest '" + name + "' does not export function " + entry.getKey() + " (guest ABI v1)");
      }
      int index = e.index();
      FunctionType actual =
          index < importedFunctions
              ? module
                  .typeSection()
                  .getType(((FunctionImport) module.importSection().getImport(index)).typeIndex())
              : module
                  .functionSection()
                  .getFunctionType(index - importedFunctions, module.typeSection());
      if (!actual.equals(entry.getValue())) {
        throw new InvalidGuestException(
            "guest '"
                + name
                + "' exports "
                + entry.getKey()
                + " as "
                + actual
                + "; ABI v1 says "
                + entry.getValue());
      }
    }
  }

  private static void checkMemory(String name, WasmModule module) {
    var memories = module.memorySection();
    if (memories.isEmpty() || memories.get().memoryCount() != 1) {
      throw new InvalidGuestException("guest '" + name + "' must define exactly one memory");
    }
    if (memories.get().getMemory(0).limits().shared()) {
      throw new InvalidGuestException(
          "guest '" + name + "' uses a shared memory (threads are not supported)");
    }
  }

  private static List<GuestModule.MutableGlobal> mutableGlobals(String name, WasmModule module) {
    List<GuestModule.MutableGlobal> out = new ArrayList<>();
    Global[] globals = module.globalSection().globals();
    for (int i = 0; i < globals.length; i++) {
      if (globals[i].mutabilityType() == MutabilityType.Var) {
        out.add(new GuestModule.MutableGlobal(i, typeCode(name, globals[i].valueType())));
      }
    }
    return List.copyOf(out);
  }

  static int typeCode(String name, ValType t) {
    if (t.equals(ValType.I32)) {
      return 0x7f;
    } else if (t.equals(ValType.I64)) {
      return 0x7e;
    } else if (t.equals(ValType.F32)) {
      return 0x7d;
    } else if (t.equals(ValType.F64)) {
      return 0x7c;
    } else if (t.equals(ValType.V128)) {
      return 0x7b;
    }
    throw new InvalidGuestException(
        "guest '" + name + "' has a mutable reference global, which cannot be checkpointed");
  }

  private static void checkTables(String name, WasmModule module) {
    var bodies = module.codeSection().functionBodies();
    for (var body : bodies) {
      for (var ins : body.instructions()) {
        if (TABLE_MUTATIONS.contains(ins.opcode())) {
          throw new InvalidGuestException(
              "guest '"
                  + name
                  + "' mutates a table ("
                  + ins.opcode()
                  + "); guest ABI v1 checkpoints only memory and globals");
        }
      }
    }
  }

  private static int abiVersion(
      String name, WasmModule module, Function<Instance, Machine> factory) {
    List<ImportFunction> stubs = new ArrayList<>();
    GuestAbi.IMPORTS.forEach(
        (fn, type) ->
            stubs.add(
                new HostFunction(
                    GuestAbi.IMPORT_MODULE,
                    fn,
                    type,
                    (inst, args) -> {
                      throw new InvalidGuestException(
                          "guest '" + name + "' called " + fn + " from colo_abi_version");
                    })));
    try {
      var limits = module.memorySection().orElseThrow().getMemory(0).limits();
      Instance probe =
          Instance.builder(module)
              .withImportValues(ImportValues.builder().withFunctions(stubs).build())
              .withMemoryFactory(
                  l ->
                      new TrackedMemory(
                          new MemoryLimits(limits.initialPages(), limits.initialPages()), false))
              .withMachineFactory(factory)
              .withStart(false)
              .build();
      return (int) probe.export(GuestAbi.ABI_VERSION).apply()[0];
    } catch (InvalidGuestException e) {
      throw e;
    } catch (ChicoryException | StackOverflowError | IllegalArgumentException e) {
      throw new InvalidGuestException(
          "guest '" + name + "' failed while reporting its ABI version: " + e.getMessage(), e);
    }
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
