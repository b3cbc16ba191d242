package dev.coloha.coordinator.store;

import java.nio.file.Path;

/** The coordinator's journal is damaged inside (not only at its tail): the store does not open. */
public final class CorruptJournalException extends IllegalStateException {
  public CorruptJournalException(Path file, long offset, String what) {
    super(
        "The coordinator's journal "
            + file
            + " is damaged at offset "
            + offset
            + ": "
            + what
            + ". The coordinator does not start on it: its epochs could be stale. Restore the file"
            + " from a backup, or move it away to start with an empty store (the groups must then"
            + " be created again).");
  }
}
