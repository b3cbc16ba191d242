package dev.coloha.microvm.guest;

/**
 * Makes a plain WASI command module checkpointable: instruments it with Binaryen's Asyncify for the
 * blocking imports only ({@link WasiAbi#BLOCKING_IMPORTS}). The result must be a pure function of
 * the input (every replica must end up with the same module hash).
 */
public interface AsyncifyInstrumenter {
  /**
   * @return the instrumented module
   * @throws dev.coloha.microvm.InvalidGuestException if it cannot be instrumented
   */
  byte[] instrument(String name, byte[] plain);

  /** No instrumenter: only modules uploaded already instrumented are accepted. */
  AsyncifyInstrumenter NONE =
      (name, plain) -> {
        throw new dev.coloha.microvm.InvalidGuestException(
            "guest '"
                + name
                + "' is a WASI module without Asyncify instrumentation, and this host has no"
                + " wasm-opt to add it: upload it instrumented (wasm-opt --asyncify --pass-arg="
                + WasiAbi.asyncifyImportsArg()
                + " -O2) or install Debian's binaryen");
      };
}
