package dev.coloha.api.agent;

import dev.coloha.api.Offset;
import java.util.List;

/**
 * The checkpoint that completed an initial sync, with the primary's per-connection offsets at its
 * pause: where a newly attached secondary's input and output streams start (re-protection).
 *
 * @param sequence checkpoint number
 * @param outputOffsets output produced per connection at the pause
 * @param inputOffsets input consumed per connection at the pause
 */
public record SyncPoint(long sequence, List<Offset> outputOffsets, List<Offset> inputOffsets) {
  public SyncPoint {
    outputOffsets = outputOffsets == null ? List.of() : List.copyOf(outputOffsets);
    inputOffsets = inputOffsets == null ? List.of() : List.copyOf(inputOffsets);
  }
}
