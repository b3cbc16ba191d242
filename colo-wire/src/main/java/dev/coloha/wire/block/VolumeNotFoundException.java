package dev.coloha.wire.block;

import dev.coloha.api.ErrorKind;
import dev.coloha.wire.ColoException;
import java.util.Map;

/** No volume of that id on this mirror. */
public final class VolumeNotFoundException extends ColoException {
  private final String volume;

  public VolumeNotFoundException(String volume) {
    super("no volume '" + volume + "' on this mirror");
    this.volume = volume;
  }

  public String volume() {
    return volume;
  }

  @Override
  public ErrorKind kind() {
    return ErrorKind.VOLUME_NOT_FOUND;
  }

  @Override
  public Map<String, Object> details() {
    return Map.of("volume", volume);
  }
}
