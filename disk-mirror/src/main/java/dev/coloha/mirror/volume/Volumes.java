package dev.coloha.mirror.volume;

import dev.coloha.mirror.replication.ReplicaTransport;
import dev.coloha.wire.InvalidFieldException;
import dev.coloha.wire.LimitExceededException;
import dev.coloha.wire.block.BlockLimits;
import dev.coloha.wire.block.VolumeConflictException;
import dev.coloha.wire.block.VolumeNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The volumes of this mirror, one directory each under {@code <data-dir>/volumes/}. Opening the
 * mirror opens every volume found there (finishing whatever a crash interrupted).
 */
public final class Volumes implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Volumes.class);
  private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

  private final Path root;
  private final int maxVolumes;
  private final long maxVolumeSize;
  private final VolumeSettings settings;
  private final VolumeObserver observer;
  private final ReplicaTransport.Factory transports;
  private final Map<String, Volume> volumes = new ConcurrentHashMap<>();

  public Volumes(
      Path dataDir,
      int maxVolumes,
      long maxVolumeSize,
      VolumeSettings settings,
      VolumeObserver observer,
      ReplicaTransport.Factory transports)
      throws IOException {
    this.root = dataDir.resolve("volumes");
    this.maxVolumes = maxVolumes;
    this.maxVolumeSize = maxVolumeSize;
    this.settings = settings;
    this.observer = observer;
    this.transports = transports;
    Files.createDirectories(root);
    try (Stream<Path> dirs = Files.list(root)) {
      for (Path dir : dirs.sorted().toList()) {
        if (Files.isDirectory(dir) && MetaFile.exists(dir)) {
          Volume v = Volume.open(dir, settings, observer, transports);
          volumes.put(v.id(), v);
          observer.added(v);
          log.info("opened volume {} ({}, {} bytes)", v.id(), v.role(), v.sizeBytes());
        }
      }
    }
  }

  public synchronized Volume create(CreateVolume cmd) throws IOException {
    if (cmd.id() == null || !ID.matcher(cmd.id()).matches()) {
      throw new InvalidFieldException(
          "id",
          "'" + cmd.id() + "' is invalid: use 1-63 of [a-z0-9-], starting with one of [a-z0-9]");
    }
    if (cmd.sizeBytes() <= 0 || cmd.sizeBytes() % BlockLimits.SECTOR_SIZE != 0) {
      throw new InvalidFieldException(
          "sizeBytes", cmd.sizeBytes() + " must be a positive multiple of 512 bytes");
    }
    if (cmd.epoch() < 0) {
      throw new InvalidFieldException("epoch", "must not be negative");
    }
    if (volumes.containsKey(cmd.id())) {
      throw new VolumeConflictException("a volume '" + cmd.id() + "' already exists");
    }
    if (cmd.sizeBytes() > maxVolumeSize) {
      throw new InvalidFieldException(
          "sizeBytes", "must be at most " + maxVolumeSize + " (colo.mirror.max-volume-size)");
    }
    if (volumes.size() >= maxVolumes) {
      throw new LimitExceededException("volumes per mirror", volumes.size() + 1, maxVolumes);
    }
    Path dir = root.resolve(cmd.id());
    deleteTree(dir);
    Volume v =
        Volume.create(
            dir,
            cmd.id(),
            cmd.sizeBytes(),
            cmd.role(),
            cmd.epoch(),
            settings,
            observer,
            transports);
    volumes.put(v.id(), v);
    observer.added(v);
    log.info(
        "created volume {} ({}, {} bytes, epoch {})", v.id(), v.role(), v.sizeBytes(), cmd.epoch());
    return v;
  }

  public Volume get(String id) {
    Volume v = volumes.get(id);
    if (v == null) {
      throw new VolumeNotFoundException(id);
    }
    return v;
  }

  public List<Volume> list() {
    return volumes.values().stream().sorted(Comparator.comparing(Volume::id)).toList();
  }

  /** Closes the volume and deletes its files. */
  public synchronized void delete(String id) throws IOException {
    Volume v = get(id);
    volumes.remove(id);
    observer.removed(id);
    v.closeDeleted();
    deleteTree(v.dir());
    log.info("deleted volume {}", id);
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  @Override
  public void close() {
    for (Volume v : volumes.values()) {
      try {
        v.close();
      } catch (IOException | RuntimeException e) {
        log.warn("closing volume {}: {}", v.id(), e.toString());
      }
    }
  }
}
