package dev.coloha.coordinator.store;

import dev.coloha.coordinator.events.GroupEvent;
import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.Host;
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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@link CoordinatorStore} on an append-only journal file: each save is one frame ({@link
 * JournalFrames}) written with one write and, with {@code fsync} on, forced to the disk before the
 * save returns. A group and its history event are one frame: both or neither survive a crash.
 *
 * <p>The groups, hosts and the newest events are kept in memory: reads never touch the file and may
 * run beside a save; saves are written one at a time. Opening replays the journal; a frame cut
 * short at its end (a crash in the middle of a write: that save never returned) is cut off, damage
 * inside refuses the open ({@link CorruptJournalException}). When the journal grows past {@code
 * compactBytes}, the whole state is written to {@code <journal>.tmp}, forced, and renamed over the
 * journal (the directory forced too): a crash at any moment leaves the old journal or the new one,
 * each whole. A lock file ({@code <journal>.lock}) keeps a second coordinator off the journal.
 *
 * <p>Durability: the write alone survives a {@code kill -9} of the coordinator (the operating
 * system has the bytes); the force is what survives a crash of the host or a power cut.
 */
public final class JournalCoordinatorStore implements CoordinatorStore, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(JournalCoordinatorStore.class);

  private final Path file;
  private final JsonMapper json;
  private final boolean fsync;
  private final long compactBytes;
  private final int historyLimit;

  private final ReentrantLock writer = new ReentrantLock();
  private final Map<String, Group> groups = new ConcurrentSkipListMap<>();
  private final Map<String, Host> hosts = new ConcurrentSkipListMap<>();

  /** Newest last; guarded by itself. */
  private final Deque<GroupEvent> events = new ArrayDeque<>();

  private final FileChannel lockChannel;
  private final FileLock lock;
  private FileChannel channel;
  private long end;
  private long compactions;

  /** Set when a write failed and its bytes could not be taken back: no save is accepted then. */
  private volatile IOException broken;

  /**
   * Opens (or creates) the journal at {@code file} and replays it.
   *
   * @param fsync whether each save is forced to the disk before it returns
   * @param compactBytes the journal's size past which it is rewritten with the current state only
   * @param historyLimit events kept from the journal when it is replayed (the newest)
   * @throws CorruptJournalException if the journal is damaged inside
   * @throws IllegalStateException if another process holds the journal
   */
  public static JournalCoordinatorStore open(
      Path file, JsonMapper json, boolean fsync, long compactBytes, int historyLimit)
      throws IOException {
    return new JournalCoordinatorStore(file, json, fsync, compactBytes, historyLimit, null);
  }

  /**
   * Creates the journal at {@code file} holding {@code state} (the import of an older store).
   *
   * @throws IllegalStateException if the journal exists already
   */
  static JournalCoordinatorStore create(
      Path file,
      JsonMapper json,
      boolean fsync,
      long compactBytes,
      int historyLimit,
      StoreState state)
      throws IOException {
    return new JournalCoordinatorStore(file, json, fsync, compactBytes, historyLimit, state);
  }

  /** Whatever a store holds, for writing a new journal. */
  record StoreState(List<Group> groups, List<Host> hosts, List<GroupEvent> events) {}

  private JournalCoordinatorStore(
      Path file,
      JsonMapper json,
      boolean fsync,
      long compactBytes,
      int historyLimit,
      StoreState initial)
      throws IOException {
    this.file = file.toAbsolutePath().normalize();
    this.json = json;
    this.fsync = fsync;
    this.compactBytes = compactBytes;
    this.historyLimit = historyLimit;
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
    try {
      if (initial != null) {
        if (Files.exists(this.file)) {
          throw new IllegalStateException("The coordinator's journal " + this.file + " exists");
        }
        initial.groups().forEach(g -> groups.put(g.id(), g));
        initial.hosts().forEach(h -> hosts.put(h.name(), h));
        initial.events().forEach(this::keep);
        rewrite();
      } else if (Files.exists(this.file)) {
        replay();
      } else {
        rewrite(); // an empty journal, whole: its header
      }
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  private Path sibling(String suffix) {
    return file.resolveSibling(file.getFileName() + suffix);
  }

  private void replay() throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    JournalFrames.Read read = JournalFrames.read(file, bytes);
    for (byte[] body : read.bodies()) {
      apply(json.readValue(body, JournalEntry.class));
    }
    channel = FileChannel.open(file, StandardOpenOption.WRITE);
    if (read.end() < bytes.length) {
      log.warn(
          "The coordinator's journal {} ended with a write cut short ({} bytes from offset {}, a"
              + " save that never returned): cut off",
          file,
          bytes.length - read.end(),
          read.end());
      channel.truncate(read.end());
      channel.force(true);
    }
    end = read.end();
    log.info(
        "Opened the coordinator's journal {}: {} records, {} groups, {} hosts, {} events",
        file,
        read.bodies().size(),
        groups.size(),
        hosts.size(),
        events.size());
  }

  private void apply(JournalEntry e) {
    if (e.group() != null) {
      groups.put(e.group().id(), e.group());
    }
    if (e.host() != null) {
      hosts.put(e.host().name(), e.host());
    }
    if (e.deleted() != null) {
      groups.remove(e.deleted());
    }
    if (e.event() != null) {
      keep(e.event());
    }
  }

  private void keep(GroupEvent event) {
    keep(event, historyLimit);
  }

  private void keep(GroupEvent event, int limit) {
    synchronized (events) {
      events.addLast(event);
      while (events.size() > Math.max(limit, 1)) {
        events.removeFirst();
      }
    }
  }

  /** Writes {@code entry} as one frame at the journal's end, forced if so configured. */
  private void write(JournalEntry entry) {
    ByteBuffer frame = JournalFrames.frame(json.writeValueAsBytes(entry));
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

  /** A failed write may have left part of a frame: cut it off, or accept no save any more. */
  private void takeBack(IOException failure) {
    try {
      channel.truncate(end);
    } catch (IOException e) {
      failure.addSuppressed(e);
      broken = failure;
      log.error("The coordinator's journal {} cannot be written: no save is accepted", file, e);
    }
  }

  /** After a save: rewrites the journal with the state only, once it grew past its limit. */
  private void compactIfLarge() {
    if (end <= compactBytes) {
      return;
    }
    long before = end;
    try {
      rewrite();
      compactions++;
      log.info("Compacted the coordinator's journal {}: {} bytes to {}", file, before, end);
    } catch (IOException e) {
      // the save is in the journal already; the next save tries again
      log.warn("Could not compact the coordinator's journal {}", file, e);
    }
  }

  /**
   * Writes the state to {@code <journal>.tmp}, forces it and renames it over the journal, then
   * forces the directory (the rename itself).
   */
  private void rewrite() throws IOException {
    Path tmp = sibling(".tmp");
    long size;
    try (FileChannel out =
        FileChannel.open(
            tmp,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      List<ByteBuffer> frames = new ArrayList<>();
      frames.add(ByteBuffer.wrap(JournalFrames.HEADER));
      for (Host h : hosts.values()) {
        frames.add(JournalFrames.frame(json.writeValueAsBytes(JournalEntry.of(h))));
      }
      for (Group g : groups.values()) {
        frames.add(JournalFrames.frame(json.writeValueAsBytes(JournalEntry.of(g))));
      }
      for (GroupEvent e : snapshotEvents()) {
        frames.add(JournalFrames.frame(json.writeValueAsBytes(JournalEntry.of(e))));
      }
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
      // the channel held is on the journal replaced: a save written there would be lost
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

  private List<GroupEvent> snapshotEvents() {
    synchronized (events) {
      return List.copyOf(events);
    }
  }

  /** Writes {@code entry}, then applies {@code change} to the state in memory; one at a time. */
  private void save(JournalEntry entry, Runnable change) {
    writer.lock();
    try {
      write(entry);
      change.run();
      compactIfLarge();
    } finally {
      writer.unlock();
    }
  }

  @Override
  public void save(Group group) {
    save(JournalEntry.of(group), () -> groups.put(group.id(), group));
  }

  @Override
  public void save(Group group, GroupEvent event, int keep) {
    save(
        new JournalEntry(group, null, null, event),
        () -> {
          groups.put(group.id(), group);
          keep(event, keep);
        });
  }

  @Override
  public void delete(String groupId) {
    save(JournalEntry.deletion(groupId), () -> groups.remove(groupId));
  }

  @Override
  public void save(Host host) {
    save(JournalEntry.of(host), () -> hosts.put(host.name(), host));
  }

  @Override
  public void append(GroupEvent event, int keep) {
    save(JournalEntry.of(event), () -> keep(event, keep));
  }

  @Override
  public List<Group> groups() {
    return List.copyOf(groups.values());
  }

  @Override
  public Optional<Group> group(String id) {
    return Optional.ofNullable(groups.get(id));
  }

  @Override
  public List<Host> hosts() {
    return List.copyOf(hosts.values());
  }

  @Override
  public List<GroupEvent> events(int limit) {
    List<GroupEvent> all = snapshotEvents();
    return all.subList(Math.max(0, all.size() - limit), all.size());
  }

  /** The journal's file. */
  public Path file() {
    return file;
  }

  /** Null while saves are accepted, else why not (a write failed and could not be taken back). */
  public IOException failure() {
    return broken;
  }

  /** Compactions since the store opened. */
  long compactions() {
    return compactions;
  }

  /** The journal's length in bytes. */
  long size() {
    return end;
  }

  @Override
  public void close() throws IOException {
    writer.lock();
    try {
      if (channel != null) {
        channel.close();
      }
      if (lock.isValid()) {
        lock.release();
      }
      lockChannel.close();
    } finally {
      writer.unlock();
    }
  }
}
