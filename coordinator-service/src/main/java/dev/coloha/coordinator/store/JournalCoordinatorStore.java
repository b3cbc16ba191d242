package dev.coloha.coordinator.store;

import dev.coloha.coordinator.events.GroupEvent;
import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.Host;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
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
 * each whole. A lock file ({@code <journal>.lock}) keeps a second coordinator off the journal. The
 * file's part (lock, append, replace) is {@link JournalFile}; this class holds the state and maps
 * each save to its frame.
 *
 * <p>Durability: the write alone survives a {@code kill -9} of the coordinator (the operating
 * system has the bytes); the force is what survives a crash of the host or a power cut.
 */
public final class JournalCoordinatorStore implements CoordinatorStore, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(JournalCoordinatorStore.class);

  private final JournalFile file;
  private final JsonMapper json;
  private final long compactBytes;
  private final int historyLimit;

  private final ReentrantLock writer = new ReentrantLock();
  private final Map<String, Group> groups = new ConcurrentSkipListMap<>();
  private final Map<String, Host> hosts = new ConcurrentSkipListMap<>();

  /** Newest last; guarded by itself. */
  private final Deque<GroupEvent> events = new ArrayDeque<>();

  private long compactions;

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
    this.file = new JournalFile(file, fsync);
    this.json = json;
    this.compactBytes = compactBytes;
    this.historyLimit = historyLimit;
    try {
      if (initial != null) {
        if (this.file.exists()) {
          throw new IllegalStateException(
              "The coordinator's journal " + this.file.path() + " exists");
        }
        initial.groups().forEach(g -> groups.put(g.id(), g));
        initial.hosts().forEach(h -> hosts.put(h.name(), h));
        initial.events().forEach(this::keep);
        rewrite();
      } else if (this.file.exists()) {
        replay();
      } else {
        rewrite(); // an empty journal, whole: its header
      }
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  private void replay() throws IOException {
    JournalFrames.Read read = file.read();
    for (byte[] body : read.bodies()) {
      apply(json.readValue(body, JournalEntry.class));
    }
    file.openAfter(read);
    log.info(
        "Opened the coordinator's journal {}: {} records, {} groups, {} hosts, {} events",
        file.path(),
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
    file.append(JournalFrames.frame(json.writeValueAsBytes(entry)));
  }

  /** After a save: rewrites the journal with the state only, once it grew past its limit. */
  private void compactIfLarge() {
    if (file.size() <= compactBytes) {
      return;
    }
    long before = file.size();
    try {
      rewrite();
      compactions++;
      log.info(
          "Compacted the coordinator's journal {}: {} bytes to {}",
          file.path(),
          before,
          file.size());
    } catch (IOException e) {
      // the save is in the journal already; the next save tries again
      log.warn("Could not compact the coordinator's journal {}", file.path(), e);
    }
  }

  /** Replaces the journal with the state only ({@link JournalFile#replace}). */
  private void rewrite() throws IOException {
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
    file.replace(frames);
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
    return file.path();
  }

  /** Null while saves are accepted, else why not (a write failed and could not be taken back). */
  public IOException failure() {
    return file.failure();
  }

  /** Compactions since the store opened. */
  long compactions() {
    return compactions;
  }

  /** The journal's length in bytes. */
  long size() {
    return file.size();
  }

  @Override
  public void close() throws IOException {
    writer.lock();
    try {
      file.close();
    } finally {
      writer.unlock();
    }
  }
}
