package dev.coloha.microvm.guest;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.WasmModule;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Function;

/**
 * A validated guest: parsed, checked against guest ABI v1 and compiled to JVM bytecode once, then
 * instantiated any number of times.
 *
 * @param name catalogue name
 * @param sha256 hash of the module bytes; checkpoints carry it so they apply only to the same code
 * @param sizeBytes module size
 * @param module parsed module
 * @param machineFactory Chicory compiler output (or the interpreter when compilation is disabled)
 * @param abiVersion the version the guest declared
 * @param mutableGlobals indices and value-type codes of the module's mutable globals
 * @param abi the interface the guest is written against
 */
public record GuestModule(
    String name,
    byte[] sha256,
    int sizeBytes,
    WasmModule module,
    Function<Instance, Machine> machineFactory,
    int abiVersion,
    List<MutableGlobal> mutableGlobals,
    Abi abi) {

  /** The interface a guest is written against. */
  public enum Abi {
    /** COLO guest ABI v1: a reactor with event callbacks importing module {@code colo}. */
    COLO_V1("colo-v1"),
    /** WASI preview 1: an ordinary command module, instrumented with Asyncify. */
    WASI_P1("wasi-p1");

    private final String label;

    Abi(String label) {
      this.label = label;
    }

    /** The name used in APIs and documents. */
    public String label() {
      return label;
    }
  }

  public boolean wasi() {
    return abi == Abi.WASI_P1;
  }

  /** A mutable global: its index and Wasm value-type code. */
  public record MutableGlobal(int index, int typeCode) {}

  public String sha256Hex() {
    return HexFormat.of().formatHex(sha256);
  }

  /** Initial and maximum memory as the module declares them, in 64 KiB pages. */
  public int declaredInitialPages() {
    return module.memorySection().orElseThrow().getMemory(0).limits().initialPages();
  }

  public int declaredMaximumPages() {
    return module.memorySection().orElseThrow().getMemory(0).limits().maximumPages();
  }
}
