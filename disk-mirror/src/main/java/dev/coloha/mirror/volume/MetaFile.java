package dev.coloha.mirror.volume;

import dev.coloha.api.mirror.VolumeRole;
import dev.coloha.wire.CorruptStreamException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.zip.CRC32C;

/**
 * Reads and atomically replaces a volume's {@code meta} file: {@code key=value} lines (readable by
 * an operator) ending with a CRC-32C line; written to {@code meta.tmp}, fsynced, renamed over
 * {@code meta}, and the directory fsynced, so a crash leaves either the old or the new state.
 *
 * <p>A secondary's commit may replace it without the fsyncs ({@link #putBehind}): then a process
 * crash still leaves the old or the new state (the page cache keeps both the rename and the data),
 * a host crash may not. Such a write records the host's boot ({@code unsynced.boot}); the record
 * stays in every later write until {@link #putSynced} (every file the state refers to was fsynced),
 * so a volume opened in another boot knows its files may have lost what the page cache held.
 */
public final class MetaFile {
  static final String NAME = "meta";
  private static final String UNSYNCED_BOOT = "unsynced.boot";

  private final Path dir;
  private volatile VolumeMeta current;
  private volatile String unsyncedBoot;

  private MetaFile(Path dir, VolumeMeta current, String unsyncedBoot) {
    this.dir = dir;
    this.current = current;
    this.unsyncedBoot = unsyncedBoot;
  }

  /** Persists {@code meta} as the first state of a new volume directory. */
  public static MetaFile create(Path dir, VolumeMeta meta) throws IOException {
    MetaFile f = new MetaFile(dir, meta, null);
    f.put(meta);
    return f;
  }

  public static MetaFile open(Path dir) throws IOException {
    Path file = dir.resolve(NAME);
    Map<String, String> kv = fields(file);
    return new MetaFile(dir, decode(file, kv), emptyToNull(kv.get(UNSYNCED_BOOT)));
  }

  public static boolean exists(Path dir) {
    return Files.isRegularFile(dir.resolve(NAME));
  }

  public VolumeMeta get() {
    return current;
  }

  /**
   * The boot in which a state was last written without the fsyncs and not fsynced since, or null.
   */
  public String unsyncedBoot() {
    return unsyncedBoot;
  }

  /** Replaces the persisted state; returns once it is durable. */
  public synchronized void put(VolumeMeta meta) throws IOException {
    write(meta, unsyncedBoot, true);
  }

  /**
   * Replaces the persisted state and forgets an earlier {@link #putBehind}: the caller has fsynced
   * every file the state refers to.
   */
  public synchronized void putSynced(VolumeMeta meta) throws IOException {
    write(meta, null, true);
  }

  /**
   * Replaces the state atomically against a process crash, without fsyncs (a secondary's commit
   * under a write-behind flush policy), recording {@code boot}.
   */
  public synchronized void putBehind(VolumeMeta meta, String boot) throws IOException {
    write(meta, boot, false);
  }

  private void write(VolumeMeta meta, String boot, boolean durable) throws IOException {
    String body = encode(meta) + (boot == null ? "" : UNSYNCED_BOOT + "=" + boot + "\n");
    CRC32C crc = new CRC32C();
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    crc.update(bytes);
    String text = body + "crc=" + Integer.toHexString((int) crc.getValue()) + "\n";
    Path tmp = dir.resolve(NAME + ".tmp");
    try (FileChannel ch =
        FileChannel.open(
            tmp,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      ch.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
      if (durable) {
        ch.force(true);
      }
    }
    Files.move(tmp, dir.resolve(NAME), StandardCopyOption.ATOMIC_MOVE);
    if (durable) {
      try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
        d.force(true);
      } catch (IOException e) {
        // some file systems cannot fsync a directory; the rename is still atomic
      }
    }
    current = meta;
    unsyncedBoot = boot;
  }

  /** Read-modify-write of the persisted state, atomic against other updates. */
  public synchronized VolumeMeta update(UnaryOperator<VolumeMeta> change) throws IOException {
    VolumeMeta next = change.apply(current);
    if (!next.equals(current)) {
      put(next);
    }
    return next;
  }

  private static String encode(VolumeMeta m) {
    Map<String, Object> kv = new LinkedHashMap<>();
    kv.put("id", m.id());
    kv.put("size", m.sizeBytes());
    kv.put("role", m.role());
    kv.put("epoch", m.epoch());
    kv.put("secondary.url", m.secondaryUrl() == null ? "" : m.secondaryUrl());
    kv.put("secondary.volume", m.secondaryVolume() == null ? "" : m.secondaryVolume());
    kv.put("synced", m.synced());
    kv.put("committed.barrier", m.committedBarrier());
    kv.put("committed.pos", m.committedPos());
    kv.put("applied.pos", m.appliedPos());
    kv.put("seq.floor", m.seqFloor());
    kv.put("journal.gen", m.journalGen());
    kv.put("overlay.gen", m.overlayGen());
    kv.put("overlay.file", m.overlayFile());
    kv.put("intent", m.intent());
    kv.put("intent.barrier", m.intentBarrier());
    kv.put("intent.pos", m.intentPos());
    kv.put("intent.epoch", m.intentEpoch());
    StringBuilder sb = new StringBuilder();
    kv.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
    return sb.toString();
  }

  static VolumeMeta read(Path file) throws IOException {
    return decode(file, fields(file));
  }

  /** The checked {@code key=value} lines of a meta file. */
  private static Map<String, String> fields(Path file) throws IOException {
    String text = Files.readString(file, StandardCharsets.UTF_8);
    int crcAt = text.lastIndexOf("crc=");
    if (crcAt < 0) {
      throw new CorruptStreamException(file + " has no checksum line");
    }
    String body = text.substring(0, crcAt);
    CRC32C crc = new CRC32C();
    crc.update(body.getBytes(StandardCharsets.UTF_8));
    String expected = Integer.toHexString((int) crc.getValue());
    if (!text.substring(crcAt + 4).trim().equals(expected)) {
      throw new CorruptStreamException(file + " fails its checksum");
    }
    Map<String, String> kv = new LinkedHashMap<>();
    for (String line : body.split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        kv.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    return kv;
  }

  private static VolumeMeta decode(Path file, Map<String, String> kv) {
    try {
      return new VolumeMeta(
          kv.get("id"),
          Long.parseLong(kv.get("size")),
          VolumeRole.valueOf(kv.get("role")),
          Long.parseLong(kv.get("epoch")),
          emptyToNull(kv.get("secondary.url")),
          emptyToNull(kv.get("secondary.volume")),
          Boolean.parseBoolean(kv.get("synced")),
          Long.parseLong(kv.get("committed.barrier")),
          Long.parseLong(kv.get("committed.pos")),
          // written before commits applied in the background: everything committed was applied
          Long.parseLong(kv.getOrDefault("applied.pos", kv.get("committed.pos"))),
          Long.parseLong(kv.get("seq.floor")),
          Integer.parseInt(kv.get("journal.gen")),
          Integer.parseInt(kv.get("overlay.gen")),
          // written before the overlay's file was reused: each generation had a file of its own
          Integer.parseInt(kv.getOrDefault("overlay.file", kv.get("overlay.gen"))),
          VolumeMeta.Intent.valueOf(kv.get("intent")),
          Long.parseLong(kv.get("intent.barrier")),
          Long.parseLong(kv.get("intent.pos")),
          Long.parseLong(kv.get("intent.epoch")));
    } catch (RuntimeException e) {
      throw new CorruptStreamException(file + " is malformed: " + e.getMessage(), e);
    }
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }
}
