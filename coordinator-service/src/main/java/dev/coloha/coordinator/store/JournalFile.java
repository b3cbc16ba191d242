package dev.coloha.coordinator.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator's journal as a file, whatever its frames hold: the lock that keeps a second
 * coordinator off it ({@code <journal>.lock}), reading it with a torn end cut off, appending a
 * frame (forced with {@code fsync} on; a failed write taken back), and replacing it whole ({@code
 * <journal>.tmp} written, forced and renamed over the journal, the directory forced too: a crash at
 * any moment leaves the old journal or the new one, each whole). Its caller writes one at a time.
 */
final class JournalFile implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(JournalFile.class);

  private final Path file;
  private final boolean fsync;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private FileChannel channel;
  private long end;
  private long readLength;

  /** Set when a write failed and its bytes could not be taken back: no append is accepted then. */
  private volatile IOException broken;

  /**
   * Takes the journal at {@code file} (its directory created), not opened yet.
   *
   * @throws IllegalStateException if another process holds the journal
   */
  JournalFile(Path file, boolean fsync) throws IOException {
    this.file = file.toAbsolutePath().normalize();
    this.fsync = fsync;
    Files.createDirectories(this.file.getParent());
    Path lockFile = sibling(".lock");
    lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock held;
    try {
      held = lockChannel.tryLock();
    } catch (OverlappingFileLockException e) {
      held = null;
    }
    if (held == null) {
      lockChannel.close();
      throw new IllegalStateException(
          "The coordinator's journal "
              + this.file
              + " is in use by another coordinator (its lock file "
              + lockFile
              + " is held): one coordinator at a time may run on a data directory");
    }
    lock = held;
  }

  private Path sibling(String suffix) {
    return file.resolveSibling(file.getFileName() + suffix);
  }

  /** The journal's path. */
  Path path() {
    return file;
  }

  boolean exists() {
    return Files.exists(file);
  }

  /**
   * Reads the journal's frames (without opening it for appending: {@link #openAfter}).
   *
   * @throws CorruptJournalException if the journal is damaged inside
   */
  JournalFrames.Read read() throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    JournalFrames.Read read = JournalFrames.read(file, bytes);
    readLength = bytes.length;
    return read;
  }

  /**
   * Opens the journal {@link #read} for appending after its last whole frame: a frame cut short at
   * its end (a crash in the middle of a write: that save never returned) is cut off.
   */
  void openAfter(JournalFrames.Read read) throws IOException {
    channel = FileChannel.open(file, StandardOpenOption.WRITE);
    if (read.end() < readLength) {
      log.warn(
          "The coordinator's journal {} ended with a write cut short ({} bytes from offset {}, a"
              + " save that never returned): cut off",
          file,
          readLength - read.end(),
          read.end());
      channel.truncate(read.end());
      channel.force(true);
    }
    end = read.end();
  }

  /** Writes {@code frame} at the journal's end, forced if so configured. */
  void append(ByteBuffer frame) {
    if (broken != null) {
      throw new UncheckedIOException("the coordinator's journal " + file + " failed", broken);
    }
    try {
      long at = end;
      try {
        while (frame.hasRemaining()) {
          at += channel.write(frame, at);
        }
        if (fsync) {
          channel.force(false);
        }
      } catch (IOException e) {
        takeBack(e);
        throw e;
      }
      end = at;
    } catch (IOException e) {
      throw new UncheckedIOException(
          "the coordinator's journal " + file + ": " + e.getMessage(), e);
    }
  }

  /** A failed write may have left part of a frame: cut it off, or accept no append any more. */
  private void takeBack(IOException failure) {
    try {
      channel.truncate(end);
    } catch (IOException e) {
      failure.addSuppressed(e);
      broken = failure;
      log.error("The coordinator's journal {} cannot be written: no save is accepted", file, e);
    }
  }

  /**
   * Replaces the journal with {@code frames} (the header first): writes them to {@code
   * <journal>.tmp}, forces it and renames it over the journal, then forces the directory (the
   * rename itself).
   */
  void replace(List<ByteBuffer> frames) throws IOException {
    Path tmp = sibling(".tmp");
    long size;
    try (FileChannel out =
        FileChannel.open(
            tmp,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer[] all = frames.toArray(ByteBuffer[]::new);
      size = 0;
      for (ByteBuffer b : all) {
        size += b.remaining();
      }
      long written = 0;
      while (written < size) {
        written += out.write(all);
      }
      out.force(true);
    }
    try {
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("cannot rename " + tmp + " over " + file + " atomically", e);
    }
    FileChannel old = channel;
    try {
      forceDirectory(file.getParent());
      channel = FileChannel.open(file, StandardOpenOption.WRITE);
    } catch (IOException e) {
      // the channel held is on the journal replaced: a frame appended there would be lost
      broken = e;
      throw e;
    }
    end = size;
    if (old != null) {
      old.close();
    }
  }

  private static void forceDirectory(Path dir) throws IOException {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException e) {
      // some systems cannot open a directory; the rename is then as durable as they make it
      log.debug("Could not force the directory {}", dir, e);
    }
  }

  /** The journal's length in bytes. */
  long size() {
    return end;
  }

  /** Null while appends are accepted, else why not (a write failed and could not be taken back). */
  IOException failure() {
    return broken;
  }

  @Override
  public void close() throws IOException {
    if (channel != null) {
      channel.close();
    }
    if (lock.isValid()) {
      lock.release();
    }
    lockChannel.close();
  }
}
