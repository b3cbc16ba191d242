package dev.coloha.microvm.testing;

import dev.coloha.microvm.guest.GuestLoader;
import dev.coloha.microvm.guest.GuestModule;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The committed guest modules, loaded and compiled once per test JVM. */
public final class TestGuests {
  private static final GuestLoader LOADER = new GuestLoader(16 << 20, Set.of(1), true);
  private static final Map<String, GuestModule> CACHE = new ConcurrentHashMap<>();

  private TestGuests() {}

  public static GuestLoader loader() {
    return LOADER;
  }

  /** Bytes of {@code guests/<name>/<name>.wasm} or {@code guests/testing/<name>.wasm}. */
  public static byte[] bytes(String name) {
    String path =
        switch (name) {
          case "kv", "http", "counter" -> "guests/" + name + "/" + name + ".wasm";
          case "counter-plain" -> "guests/counter/counter-plain.wasm";
          default -> "guests/testing/" + name + ".wasm";
        };
    try (InputStream in = TestGuests.class.getClassLoader().getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource " + path + " (run guests/build.sh)");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static GuestModule get(String name) {
    return CACHE.computeIfAbsent(name, n -> LOADER.load(n, bytes(n)));
  }
}
