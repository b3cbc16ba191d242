package dev.coloha.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The committed guest modules of {@code guests/}, read from a module's directory. */
public final class Guests {
  private Guests() {}

  /** The bytes of {@code guests/<path>}, e.g. {@code wasm("kv/kv.wasm")}. */
  public static byte[] wasm(String path) {
    try {
      return Files.readAllBytes(Path.of("..", "guests").resolve(path));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
