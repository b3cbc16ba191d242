package dev.coloha.microvm;

import dev.coloha.api.ErrorKind;
import dev.coloha.wire.ColoException;
import java.util.Set;

/** A guest declares an ABI version this host does not implement. */
public final class UnsupportedAbiException extends ColoException {
  private final int version;
  private final Set<Integer> supported;

  public UnsupportedAbiException(int version, Set<Integer> supported) {
    super("guest ABI version " + version + " is not supported; this host supports " + supported);
    this.version = version;
    this.supported = Set.copyOf(supported);
  }

  public int version() {
    return version;
  }

  public Set<Integer> supported() {
    return supported;
  }

  @Override
  public java.util.Map<String, Object> details() {
    return java.util.Map.of("version", version, "supported", supported);
  }

  @Override
  public ErrorKind kind() {
    return ErrorKind.UNSUPPORTED_ABI;
  }
}
