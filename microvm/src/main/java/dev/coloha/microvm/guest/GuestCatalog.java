package dev.coloha.microvm.guest;

import dev.coloha.microvm.InvalidGuestException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Named guests. A name resolves, in order, to a module registered at run time, to {@code
 * <directory>/<name>.wasm}, or to the module bundled on the class path as {@code
 * guests/<name>/<name>.wasm}. Each is loaded and compiled once.
 */
public final class GuestCatalog {
  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,62}");
  private static final List<String> BUNDLED = List.of("kv", "http", "counter");

  private final GuestLoader loader;
  private final Optional<Path> directory;
  private final Map<String, GuestModule> loaded = new ConcurrentHashMap<>();

  public GuestCatalog(GuestLoader loader, Optional<Path> directory) {
    this.loader = loader;
    this.directory = directory;
  }

  public static void checkName(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new InvalidGuestException(
          "guest name '" + name + "' is invalid: use 1-63 of [a-z0-9-], starting with a letter");
    }
  }

  /** The guest called {@code name}, loading and compiling it on first use. */
  public GuestModule get(String name) {
    checkName(name);
    GuestModule m = loaded.get(name);
    if (m != null) {
      return m;
    }
    synchronized (this) {
      m = loaded.get(name);
      if (m == null) {
        m = loader.load(name, bytes(name));
        loaded.put(name, m);
      }
      return m;
    }
  }

  /** Registers (or replaces) a guest from uploaded bytes; validated before it is visible. */
  public GuestModule register(String name, byte[] wasm) {
    checkName(name);
    GuestModule m = loader.load(name, wasm);
    loaded.put(name, m);
    return m;
  }

  /** Names that {@link #get} can resolve. */
  public List<String> names() {
    TreeSet<String> names = new TreeSet<>(BUNDLED);
    names.addAll(loaded.keySet());
    directory.ifPresent(
        dir -> {
          try (var files = Files.list(dir)) {
            files
                .map(p -> p.getFileName().toString())
                .filter(f -> f.endsWith(".wasm"))
                .map(f -> f.substring(0, f.length() - 5))
                .filter(n -> NAME.matcher(n).matches())
                .forEach(names::add);
          } catch (IOException e) {
            // an unreadable directory lists nothing; get() reports the error for a name
          }
        });
    return List.copyOf(names);
  }

  private byte[] bytes(String name) {
    if (directory.isPresent()) {
      Path file = directory.get().resolve(name + ".wasm");
      if (Files.isRegularFile(file)) {
        try {
          return Files.readAllBytes(file);
        } catch (IOException e) {
          throw new UncheckedIOException("cannot read guest " + file, e);
        }
      }
    }
    String resource = "guests/" + name + "/" + name + ".wasm";
    try (InputStream in = GuestCatalog.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new UnknownGuestException(name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read bundled guest " + resource, e);
    }
  }
}
