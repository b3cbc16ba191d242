package dev.coloha.mirror.metrics;

import dev.coloha.api.mirror.VolumeStatus;
import dev.coloha.mirror.volume.Volume;
import dev.coloha.mirror.volume.VolumeObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * Prometheus figures of the mirror's volumes: I/O counts and bytes, write latency, hidden pending
 * writes, overlay size, committed barrier, replication lag, commits, failovers, resync progress,
 * refused requests.
 */
public final class MirrorMetrics implements VolumeObserver {
  private static final String DEGRADATIONS = "replications declared broken (DEGRADED)";
  private static final String FAILOVERS = "secondaries promoted to primary";
  private static final String RESYNCS = "resyncs completed (acknowledged by the secondary)";

  private final MeterRegistry registry;
  private final Map<String, List<Meter>> perVolume = new ConcurrentHashMap<>();
  private final Map<String, Timer> writeLatency = new ConcurrentHashMap<>();

  public MirrorMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** A volume's status, refreshed at most every 250 ms however many gauges read it. */
  private static final class Cached {
    private final Volume volume;
    private volatile VolumeStatus status;
    private volatile long at;

    Cached(Volume volume) {
      this.volume = volume;
    }

    VolumeStatus get() {
      long now = System.nanoTime();
      VolumeStatus s = status;
      if (s == null || now - at > TimeUnit.MILLISECONDS.toNanos(250)) {
        s = volume.status();
        status = s;
        at = now;
      }
      return s;
    }
  }

  @Override
  public void added(Volume volume) {
    Tags tags = Tags.of("volume", volume.id());
    Cached c = new Cached(volume);
    List<Meter> meters = new ArrayList<>();
    meters.add(
        gauge(
            "colo.mirror.pending.writes",
            "secondary: primary writes hidden until their barrier commits; primary: frames not yet"
                + " acknowledged by the secondary",
            tags,
            c,
            VolumeStatus::pendingWrites));
    meters.add(
        gauge(
            "colo.mirror.pending.bytes",
            "bytes of those pending writes",
            tags,
            c,
            VolumeStatus::pendingBytes));
    meters.add(
        gauge(
            "colo.mirror.overlay.bytes",
            "secondary: size of the overlay (its VM's writes since the last commit)",
            tags,
            c,
            VolumeStatus::overlayBytes));
    meters.add(
        gauge(
            "colo.mirror.committed.barrier",
            "last committed barrier (on a primary: as its secondary reported it)",
            tags,
            c,
            VolumeStatus::committedBarrier));
    meters.add(
        gauge(
            "colo.mirror.barrier",
            "last barrier marked (primary) or received (secondary)",
            tags,
            c,
            VolumeStatus::lastBarrier));
    meters.add(
        gauge(
            "colo.mirror.replication.lag.bytes",
            "bytes forwarded to the secondary and not yet acknowledged",
            tags,
            c,
            s -> s.replication() == null ? 0 : s.replication().lagBytes()));
    meters.add(
        gauge(
            "colo.mirror.replication.lag.seconds",
            "age of the oldest frame not yet acknowledged by the secondary",
            tags,
            c,
            s -> s.replication() == null ? 0 : s.replication().lagSeconds()));
    meters.add(
        gauge(
            "colo.mirror.replication.connected",
            "1 while the replica stream is open",
            tags,
            c,
            s -> s.replication() != null && s.replication().connected() ? 1 : 0));
    meters.add(
        gauge(
            "colo.mirror.replicating",
            "1 while every write is forwarded",
            tags,
            c,
            s -> "REPLICATING".equals(s.state()) ? 1 : 0));
    meters.add(
        gauge(
            "colo.mirror.degraded",
            "1 while the secondary needs a resync",
            tags,
            c,
            s -> "DEGRADED".equals(s.state()) ? 1 : 0));
    meters.add(
        gauge(
            "colo.mirror.resync.progress",
            "fraction of the image the last resync's bulk pass has covered",
            tags,
            c,
            s ->
                s.resync() == null || s.resync().totalBytes() == 0
                    ? 0
                    : Math.min(
                        1.0,
                        (s.resync().copiedBytes() + s.resync().skippedZeroBytes())
                            / (double) s.resync().totalBytes())));
    meters.add(
        gauge(
            "colo.mirror.resync.copied.bytes",
            "bytes the last resync sent",
            tags,
            c,
            s -> s.resync() == null ? 0 : s.resync().copiedBytes()));
    meters.add(
        Gauge.builder("colo.mirror.unapplied.sectors", volume, Volume::unappliedSectors)
            .description(
                "secondary: committed sectors awaiting their background copy into the base")
            .tags(tags)
            .strongReference(true) // removed explicitly with the volume
            .register(registry));
    // the event counters at zero from the start, so that an alert on rate() sees the first event
    meters.add(counter("colo.mirror.degradations", DEGRADATIONS, volume.id()));
    meters.add(counter("colo.mirror.failovers", FAILOVERS, volume.id()));
    meters.add(counter("colo.mirror.resyncs", RESYNCS, volume.id()));
    perVolume.put(volume.id(), meters);
  }

  private Meter gauge(
      String name, String help, Tags tags, Cached c, ToDoubleFunction<VolumeStatus> f) {
    return Gauge.builder(name, c, x -> f.applyAsDouble(x.get()))
        .description(help)
        .tags(tags)
        .strongReference(true) // removed explicitly with the volume
        .register(registry);
  }

  @Override
  public void removed(String volume) {
    List<Meter> meters = perVolume.remove(volume);
    if (meters != null) {
      meters.forEach(registry::remove);
    }
    Timer t = writeLatency.remove(volume);
    if (t != null) {
      registry.remove(t);
    }
  }

  @Override
  public void written(String volume, int bytes, long nanos) {
    writeLatency
        .computeIfAbsent(
            volume,
            v ->
                Timer.builder("colo.mirror.write.latency")
                    .description("time to apply a VM write locally and queue it for the secondary")
                    .tags("volume", v)
                    .publishPercentileHistogram()
                    .minimumExpectedValue(Duration.ofNanos(1_000))
                    .maximumExpectedValue(Duration.ofSeconds(10))
                    .register(registry))
        .record(nanos, TimeUnit.NANOSECONDS);
    counter("colo.mirror.writes", "VM writes applied", volume).increment();
    bytes(volume, "write", bytes);
  }

  @Override
  public void read(String volume, int bytes) {
    counter("colo.mirror.reads", "reads served", volume).increment();
    bytes(volume, "read", bytes);
  }

  @Override
  public void received(String volume, int bytes) {
    bytes(volume, "replicated", bytes);
  }

  private void bytes(String volume, String op, int bytes) {
    Counter.builder("colo.mirror.bytes")
        .description("bytes read, written by the VM, or received from the primary")
        .baseUnit("bytes")
        .tags("volume", volume, "op", op)
        .register(registry)
        .increment(bytes);
  }

  @Override
  public void committed(String volume, long barrier, int writes, long nanos) {
    counter("colo.mirror.commits", "barriers committed on a secondary", volume).increment();
    Timer.builder("colo.mirror.commit.duration")
        .description("time a commit took, waiting for its barrier included")
        .tags("volume", volume)
        .register(registry)
        .record(nanos, TimeUnit.NANOSECONDS);
    DistributionSummary.builder("colo.mirror.commit.writes")
        .description("hidden writes a commit applied to the base image")
        .tags("volume", volume)
        .register(registry)
        .record(writes);
  }

  @Override
  public void failedOver(String volume, long epoch) {
    counter("colo.mirror.failovers", FAILOVERS, volume).increment();
  }

  @Override
  public void rejected(String volume, String type) {
    Counter.builder("colo.mirror.rejected")
        .description("stream requests refused with a typed error")
        .tags("volume", volume, "type", type)
        .register(registry)
        .increment();
  }

  @Override
  public void resynced(String volume, long bytes, long nanos) {
    counter("colo.mirror.resyncs", RESYNCS, volume).increment();
    Timer.builder("colo.mirror.resync.duration")
        .description("time from the start of a resync to its acknowledgement")
        .tags("volume", volume)
        .register(registry)
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void degraded(String volume) {
    counter("colo.mirror.degradations", DEGRADATIONS, volume).increment();
  }

  private Counter counter(String name, String help, String volume) {
    return Counter.builder(name).description(help).tags("volume", volume).register(registry);
  }
}
