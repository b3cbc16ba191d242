package dev.coloha.wire.block;

import dev.coloha.api.ErrorKind;
import dev.coloha.wire.ColoException;
import java.util.Map;

/** A request outside the volume or not aligned to 512-byte sectors; nothing was applied. */
public final class SectorRangeException extends ColoException {
  private final long sizeBytes;

  public SectorRangeException(long offset, long length, long sizeBytes) {
    super(
        "disk access at "
            + offset
            + " length "
            + length
            + " is unaligned or beyond the volume's "
            + sizeBytes
            + " bytes (sectors of "
            + BlockLimits.SECTOR_SIZE
            + ")");
    this.sizeBytes = sizeBytes;
  }

  /** As received from a mirror. */
  public SectorRangeException(String message, long sizeBytes) {
    super(message);
    this.sizeBytes = sizeBytes;
  }

  public long sizeBytes() {
    return sizeBytes;
  }

  @Override
  public ErrorKind kind() {
    return ErrorKind.SECTOR_RANGE;
  }

  @Override
  public Map<String, Object> details() {
    return Map.of("sizeBytes", sizeBytes);
  }
}
