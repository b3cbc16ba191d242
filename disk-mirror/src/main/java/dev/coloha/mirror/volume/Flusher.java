package dev.coloha.mirror.volume;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Applies the {@link FlushPolicy} to a file: at once, later in the background, or never. */
public final class Flusher {
  private static final Logger log = LoggerFactory.getLogger(Flusher.class);
  private static final ScheduledExecutorService SYNCER =
      Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().daemon().name("mirror-sync").factory());

  private final FlushPolicy policy;
  private final Duration interval;
  private final Map<FileChannel, Boolean> scheduled = new ConcurrentHashMap<>();

  public Flusher(FlushPolicy policy, Duration interval) {
    this.policy = policy;
    this.interval = interval;
  }

  public FlushPolicy policy() {
    return policy;
  }

  /** Makes what was written to {@code channel} durable as the policy says. */
  public void flush(FileChannel channel) throws IOException {
    switch (policy) {
      case FSYNC -> channel.force(false);
      case INTERVAL -> {
        if (scheduled.putIfAbsent(channel, Boolean.TRUE) == null) {
          SYNCER.schedule(() -> sync(channel), interval.toMillis(), TimeUnit.MILLISECONDS);
        }
      }
      case OS -> {
        // the page cache has it
      }
    }
  }

  private void sync(FileChannel channel) {
    scheduled.remove(channel);
    try {
      if (channel.isOpen()) {
        channel.force(false);
      }
    } catch (IOException e) {
      log.warn("background fsync failed: {}", e.getMessage());
    }
  }
}
