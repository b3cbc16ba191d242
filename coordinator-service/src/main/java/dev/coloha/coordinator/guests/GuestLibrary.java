package dev.coloha.coordinator.guests;

import dev.coloha.microvm.guest.GuestCatalog;
import dev.coloha.microvm.guest.GuestLoader;
import dev.coloha.microvm.guest.GuestModule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The coordinator's guest library: modules stored by content (SHA-256 of the module that runs),
 * names pointing at them. An upload is validated and, for a plain WASI module, instrumented with
 * Asyncify ({@link GuestLoader#runnable}) before it is stored, so agents receive exactly the module
 * whose hash checkpoints carry.
 *
 * <p>Layout under its directory: {@code modules/<sha256>.wasm} and {@code names/<name>} (one line:
 * {@code <sha256> <abi> <size>}). Files are written to a temporary name and moved into place.
 */
public final class GuestLibrary {
  private static final Pattern HASH = Pattern.compile("[0-9a-f]{64}");

  private final Path modules;
  private final Path names;
  private final GuestLoader loader;

  public GuestLibrary(Path dir, GuestLoader loader) {
    this.modules = dir.resolve("modules");
    this.names = dir.resolve("names");
    this.loader = loader;
    try {
      Files.createDirectories(modules);
      Files.createDirectories(names);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the guest library in " + dir, e);
    }
  }

  /** Validates, instruments if needed, stores and names a module. */
  public synchronized LibraryGuest put(String name, byte[] uploaded) {
    GuestCatalog.checkName(name);
    byte[] runnable = loader.runnable(name, uploaded);
    GuestModule m = loader.load(name, runnable);
    LibraryGuest g = new LibraryGuest(name, m.sha256Hex(), m.abi().label(), runnable.length);
    Path module = modules.resolve(g.hash() + ".wasm");
    if (!Files.exists(module)) {
      write(module, runnable);
    }
    Optional<LibraryGuest> before = find(name);
    write(
        names.resolve(name),
        (g.hash() + " " + g.abi() + " " + g.size() + "\n").getBytes(StandardCharsets.UTF_8));
    before.ifPresent(b -> dropIfUnused(b.hash()));
    return g;
  }

  public synchronized Optional<LibraryGuest> find(String name) {
    GuestCatalog.checkName(name);
    Path file = names.resolve(name);
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      String[] f = Files.readString(file).trim().split(" ");
      return Optional.of(new LibraryGuest(name, f[0], f[1], Long.parseLong(f[2])));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read guest " + file, e);
    }
  }

  public synchronized List<LibraryGuest> list() {
    List<LibraryGuest> out = new ArrayList<>();
    try (var files = Files.list(names)) {
      for (Path p : files.sorted().toList()) {
        String n = p.getFileName().toString();
        if (!n.startsWith(".")) {
          find(n).ifPresent(out::add);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the guest library", e);
    }
    return out;
  }

  /** The module bytes of {@code hash}. */
  public byte[] module(String hash) {
    if (!HASH.matcher(hash).matches()) {
      throw new GuestNotInLibraryException("module " + hash);
    }
    Path file = modules.resolve(hash + ".wasm");
    try {
      return Files.readAllBytes(file);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new GuestNotInLibraryException("module " + hash);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /** Removes a name (and its module, if no other name uses it). False if it was not there. */
  public synchronized boolean delete(String name) {
    Optional<LibraryGuest> g = find(name);
    if (g.isEmpty()) {
      return false;
    }
    try {
      Files.deleteIfExists(names.resolve(name));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete guest " + name, e);
    }
    dropIfUnused(g.get().hash());
    return true;
  }

  private void dropIfUnused(String hash) {
    for (LibraryGuest other : list()) {
      if (other.hash().equals(hash)) {
        return;
      }
    }
    try {
      Files.deleteIfExists(modules.resolve(hash + ".wasm"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete module " + hash, e);
    }
  }

  private static void write(Path file, byte[] bytes) {
    Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
    try {
      Files.write(tmp, bytes);
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
