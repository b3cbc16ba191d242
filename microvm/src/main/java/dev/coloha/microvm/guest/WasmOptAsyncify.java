package dev.coloha.microvm.guest;

import dev.coloha.microvm.InvalidGuestException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Instruments with Binaryen's {@code wasm-opt} (Debian package {@code binaryen}; version 108 is
 * what CI and the images carry): {@code wasm-opt --asyncify --pass-arg=asyncify-imports@... -O2}.
 * Output is deterministic for one wasm-opt version, which is why the coordinator instruments once
 * and agents fetch the instrumented module by hash (docs/adr/0002-wasi-asyncify.md).
 */
public final class WasmOptAsyncify implements AsyncifyInstrumenter {
  private final Path wasmOpt;
  private final Duration timeout;

  public WasmOptAsyncify(Path wasmOpt, Duration timeout) {
    this.wasmOpt = wasmOpt;
    this.timeout = timeout;
  }

  /**
   * The {@code wasm-opt} at {@code configured} if that is an executable, else the first one on the
   * {@code PATH}, else {@link AsyncifyInstrumenter#NONE}.
   */
  public static AsyncifyInstrumenter locate(String configured, Duration timeout) {
    Path p = Path.of(configured);
    if (p.isAbsolute() || configured.contains("/")) {
      return Files.isExecutable(p) ? new WasmOptAsyncify(p, timeout) : AsyncifyInstrumenter.NONE;
    }
    String path = System.getenv("PATH");
    if (path != null) {
      for (String dir : path.split(":")) {
        if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, configured))) {
          return new WasmOptAsyncify(Path.of(dir, configured), timeout);
        }
      }
    }
    return AsyncifyInstrumenter.NONE;
  }

  public Path wasmOpt() {
    return wasmOpt;
  }

  @Override
  public byte[] instrument(String name, byte[] plain) {
    Path dir = null;
    try {
      dir = Files.createTempDirectory("colo-asyncify-");
      Path in = dir.resolve("plain.wasm");
      Path out = dir.resolve("instrumented.wasm");
      Files.write(in, plain);
      Process p =
          new ProcessBuilder(
                  List.of(
                      wasmOpt.toString(),
                      in.toString(),
                      "--asyncify",
                      "--pass-arg=" + WasiAbi.asyncifyImportsArg(),
                      "-O2",
                      "-o",
                      out.toString()))
              .redirectErrorStream(true)
              .start();
      byte[] log = p.getInputStream().readNBytes(8192);
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new InvalidGuestException(
            "guest '" + name + "': wasm-opt did not finish within " + timeout);
      }
      if (p.exitValue() != 0 || !Files.isRegularFile(out)) {
        throw new InvalidGuestException(
            "guest '"
                + name
                + "': wasm-opt --asyncify failed ("
                + p.exitValue()
                + "): "
                + new String(log, StandardCharsets.UTF_8).strip());
      }
      return Files.readAllBytes(out);
    } catch (IOException e) {
      throw new InvalidGuestException(
          "guest '" + name + "': could not run " + wasmOpt + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InvalidGuestException("guest '" + name + "': interrupted while instrumenting", e);
    } finally {
      if (dir != null) {
        try (var files = Files.list(dir)) {
          for (Path f : files.toList()) {
            Files.deleteIfExists(f);
          }
          Files.deleteIfExists(dir);
        } catch (IOException e) {
          // a temp directory left behind is harmless
        }
      }
    }
  }
}
