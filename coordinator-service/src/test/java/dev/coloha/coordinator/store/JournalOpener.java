package dev.coloha.coordinator.store;

import java.nio.file.Path;
import tools.jackson.databind.json.JsonMapper;

/** The journal store as the tests' child processes open it. */
final class JournalOpener {
  private JournalOpener() {}

  /** The journal at {@code file}, forced at each save, compacted past {@code compactBytes}. */
  static JournalCoordinatorStore open(Path file, long compactBytes) throws Exception {
    return JournalCoordinatorStore.open(
        file, JsonMapper.builder().build(), true, compactBytes, 100);
  }
}
