package dev.coloha.agent.vm;

import dev.coloha.agent.disk.MirrorBlockDevice;
import dev.coloha.agent.metrics.VmMetrics;
import dev.coloha.agent.standalone.StandaloneLimits;
import dev.coloha.agent.standalone.StandaloneListener;
import dev.coloha.agent.stream.InputFlow;
import dev.coloha.agent.stream.StreamOutputSink;
import dev.coloha.agent.stream.VmStreams;
import dev.coloha.api.agent.VmState;
import dev.coloha.api.agent.VmView;
import dev.coloha.microvm.MicroVm;
import dev.coloha.microvm.OutputSink;
import dev.coloha.microvm.VmConfig;
import dev.coloha.microvm.VmEnvironment;
import dev.coloha.microvm.VmStats;
import dev.coloha.microvm.device.BlockDevice;
import dev.coloha.microvm.device.FileBlockDevice;
import dev.coloha.microvm.guest.GuestCatalog;
import dev.coloha.microvm.guest.GuestModule;
import dev.coloha.wire.InvalidFieldException;
import dev.coloha.wire.LimitExceededException;
import dev.coloha.wire.StaleEpochException;
import dev.coloha.wire.block.BlockClient;
import dev.coloha.wire.block.BlockFrameCodec;
import dev.coloha.wire.block.WriteBehind;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates, runs, lists and deletes the VMs of this agent.
 *
 * <p>Over 400 lines on purpose: it is the agent's registry of VMs; creating a VM (guest, limits, a
 * local or mirrored disk), its lifecycle and its epoch fencing all look up and change the same map
 * under the same rules. The VM itself is MicroVm, its streams the stream package's.
 */
public final class VmService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(VmService.class);
  private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

  private final VmSettings props;
  private final GuestCatalog guests;
  private final VmMetrics metrics;
  private final Map<String, VmHandle> vms = new ConcurrentHashMap<>();
  private final AtomicInteger nextId = new AtomicInteger(1);
  private final List<Consumer<String>> deleteListeners = new CopyOnWriteArrayList<>();

  private final Supplier<Map<String, String>> headers;

  public VmService(VmSettings props, GuestCatalog guests, VmMetrics metrics) {
    this(props, guests, metrics, Map::of);
  }

  /**
   * @param headers headers for calls to other services (the disk mirror), for authentication
   */
  public VmService(
      VmSettings props,
      GuestCatalog guests,
      VmMetrics metrics,
      Supplier<Map<String, String>> headers) {
    this.props = props;
    this.guests = guests;
    this.metrics = metrics;
    this.headers = headers;
  }

  /** Called with a VM's id when it is deleted (replication forgets its links). */
  public void onDelete(Consumer<String> listener) {
    deleteListeners.add(listener);
  }

  public GuestCatalog guests() {
    return guests;
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  public synchronized VmView create(CreateVm cmd) {
    String id = cmd.id() == null || cmd.id().isBlank() ? freshId() : cmd.id();
    if (!ID.matcher(id).matches()) {
      throw new InvalidFieldException(
          "id", "is invalid: use 1-63 of [a-z0-9-], starting with a letter or digit");
    }
    if (vms.containsKey(id)) {
      throw new VmConflictException("a VM '" + id + "' already exists");
    }
    if (vms.size() >= props.vm().maxVms()) {
      throw new LimitExceededException("VMs per agent", vms.size() + 1, props.vm().maxVms());
    }
    long memory = cmd.memoryBytes() == null ? props.vm().defaultMemory() : cmd.memoryBytes();
    long disk = cmd.diskBytes() == null ? props.vm().defaultDisk() : cmd.diskBytes();
    checkSize("memoryBytes", memory, 65536, props.vm().maxMemory());
    if (cmd.mirror() != null && disk == 0) {
      throw new InvalidFieldException(
          "diskBytes",
          "a VM on a mirrored disk needs a disk size (the volume's size, a multiple of 512)");
    }
    if (disk != 0) {
      checkSize("diskBytes", disk, BlockDevice.SECTOR_SIZE, props.vm().maxDisk());
      if (disk % BlockDevice.SECTOR_SIZE != 0) {
        throw new InvalidFieldException("diskBytes", "must be a multiple of 512");
      }
    }
    GuestModule guest = guests.get(cmd.guest());
    if (!guest.wasi()) {
      var field = cmd.launch().wasiOnlyField();
      if (field.isPresent()) {
        throw new InvalidFieldException(
            field.get(),
            "applies only to WASI guests; '"
                + guest.name()
                + "' is written against "
                + guest.abi().label());
      }
    }
    VmSpec spec = new VmSpec(id, guest.name(), memory, disk, cmd.mirror(), cmd.launch());
    Path image = props.dataDir().resolve("disks").resolve(id + ".img");
    MicroVm vm = instantiate(spec, guest, image);
    VmHandle handle = new VmHandle(spec, image, vm);
    vms.put(id, handle);
    metrics.register(id, guest.name(), handle::lastStats);
    log.info(
        "created VM {} (guest {}, memory {} bytes, disk {} bytes)", id, guest.name(), memory, disk);
    if (cmd.start()) {
      try {
        start(id);
      } catch (RuntimeException e) {
        // a refused create changes nothing: the VM that could not start is not left behind
        try {
          delete(id, false);
        } catch (RuntimeException cleanup) {
          e.addSuppressed(cleanup);
        }
        throw e;
      }
    }
    return view(handle);
  }

  private static void checkSize(String field, long value, long min, long max) {
    if (value < min) {
      throw new InvalidFieldException(field, "must be at least " + min);
    }
    if (value > max) {
      throw new InvalidFieldException(field, "must be at most " + max);
    }
  }

  private String freshId() {
    String id;
    do {
      id = "vm-" + nextId.getAndIncrement();
    } while (vms.containsKey(id));
    return id;
  }

  private MicroVm instantiate(VmSpec spec, GuestModule guest, Path image) {
    BlockDevice disk = openDisk(spec, image);
    try {
      return MicroVm.create(
          spec.id(),
          guest,
          vmConfig(spec),
          VmEnvironment.of(disk, OutputSink.DISCARD).withLaunch(spec.launch()));
    } catch (RuntimeException e) {
      try {
        disk.close();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  private BlockDevice openDisk(VmSpec spec, Path image) {
    if (spec.mirror() != null) {
      return openMirror(spec);
    }
    if (spec.diskBytes() == 0) {
      return BlockDevice.NONE;
    }
    try {
      return FileBlockDevice.open(
          image, spec.diskBytes(), props.vm().diskFlushPolicy(), props.vm().diskFlushInterval());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open disk image " + image, e);
    }
  }

  private BlockDevice openMirror(VmSpec spec) {
    var m = props.mirror();
    var md = spec.mirror();
    URI mirror =
        m.localSocket() != null ? URI.create("unix:" + m.localSocket().toAbsolutePath()) : md.url();
    MirrorBlockDevice device =
        MirrorBlockDevice.open(
            mirror,
            md.volume(),
            md.epoch(),
            new BlockClient.Options(
                m.connectTimeout(),
                m.requestTimeout(),
                m.heartbeatInterval(),
                m.streamTimeout(),
                (int) props.vm().maxDiskRequest() + BlockFrameCodec.MAX_HEADER,
                headers.get(),
                m.replyPoll()),
            new WriteBehind.Limits(
                m.maxQueuedWrites(),
                m.maxQueuedBytes(),
                m.requestTimeout(),
                m.writeHoldTime(),
                (int) m.writeHoldBytes(),
                m.secondaryHoldBytes()));
    if (device.sizeBytes() != spec.diskBytes()) {
      long actual = device.sizeBytes();
      device.close();
      throw new IllegalArgumentException(
          "volume "
              + md.volume()
              + " on "
              + md.url()
              + " has "
              + actual
              + " bytes, the VM asks for "
              + spec.diskBytes());
    }
    return device;
  }

  /**
   * A promoted secondary takes its mirrored disk over in {@code epoch}; a VM on a local image has
   * nothing to do. Idempotent.
   */
  public void diskFailover(String id, long epoch) {
    VmHandle h = handle(id);
    synchronized (h) {
      if (h.spec().mirror() == null) {
        return;
      }
      h.vm().diskFailover(epoch);
      h.spec(
          new VmSpec(
              h.spec().id(),
              h.spec().guest(),
              h.spec().memoryBytes(),
              h.spec().diskBytes(),
              h.spec().mirror().withEpoch(Math.max(epoch, h.spec().mirror().epoch())),
              h.spec().launch()));
    }
  }

  VmConfig vmConfig(VmSpec spec) {
    var v = props.vm();
    return new VmConfig(
        spec.memoryBytes(),
        (int) v.maxDataChunk(),
        v.maxTimers(),
        (int) v.maxDiskRequest(),
        (int) v.maxLogLine(),
        v.maxConnections(),
        v.maxDeadConnections(),
        v.threadStack(),
        true,
        v.maxInetdQueue());
  }

  /** Starts a VM; a stopped VM boots again from its disk image. */
  public VmView start(String id) {
    VmHandle h = handle(id);
    synchronized (h) {
      if (h.stopped()) {
        MicroVm fresh = instantiate(h.spec(), guests.get(h.spec().guest()), h.diskImage());
        if (h.listener() != null) {
          // its port first: a start refused because the port is taken leaves the VM as it was
          // (stopped, its listener to reopen at the next start)
          StandaloneListener l;
          try {
            l = reopenListener(h, fresh);
          } catch (RuntimeException e) {
            fresh.stop();
            throw e;
          }
          h.listener(l, h.listenAddress(), l.port());
        }
        h.vm(fresh);
        if (h.streams() != null) {
          h.streams().sink().close();
          h.streams(null);
        }
      }
      h.vm().start();
      h.refreshStats();
    }
    return view(h);
  }

  public VmView pause(String id) {
    VmHandle h = handle(id);
    synchronized (h) {
      h.vm().pause();
    }
    return view(h);
  }

  /** Stops a VM (its disk image stays; start boots it again from there). */
  public VmView stop(String id) {
    VmHandle h = handle(id);
    synchronized (h) {
      if (h.listener() != null) {
        h.listener().close();
      }
      h.vm().stop();
    }
    return view(h);
  }

  public void delete(String id, boolean keepDisk) {
    VmHandle h = handle(id);
    synchronized (h) {
      if (h.streams() != null) {
        h.streams().sink().close();
      }
      if (h.listener() != null) {
        h.listener().close();
      }
      h.vm().stop();
      vms.remove(id);
      metrics.unregister(id);
      deleteListeners.forEach(l -> l.accept(id));
      if (!keepDisk) {
        try {
          Files.deleteIfExists(h.diskImage());
        } catch (IOException e) {
          log.warn("could not delete disk image {}: {}", h.diskImage(), e.getMessage());
        }
      }
    }
    log.info("deleted VM {}", id);
  }

  // ---- epochs and streams ---------------------------------------------------------------------

  /**
   * Fences a command or stream by epoch: an older epoch is refused with the current one, a newer
   * one is adopted.
   *
   * @return the VM's epoch after the check
   */
  public long checkEpoch(String id, long offered) {
    var epoch = handle(id).epoch();
    while (true) {
      long current = epoch.get();
      if (offered < current) {
        throw new StaleEpochException(current, offered);
      }
      if (offered == current || epoch.compareAndSet(current, offered)) {
        return offered;
      }
    }
  }

  /**
   * Refuses an epoch older than the VM's without adopting a newer one (a command checks it first
   * and adopts it with {@link #checkEpoch} once nothing else can refuse it).
   */
  public void requireEpoch(String id, long offered) {
    long current = handle(id).epoch().get();
    if (offered < current) {
      throw new StaleEpochException(current, offered);
    }
  }

  /** Refuses a VM that serves clients itself (standalone mode): it cannot have streams. */
  public void requireStreamable(String id) {
    VmHandle h = handle(id);
    synchronized (h) {
      if (h.listener() != null) {
        throw new VmConflictException(
            "VM " + id + " serves clients itself (standalone mode); it has no streams");
      }
    }
  }

  public long epoch(String id) {
    return handle(id).epoch().get();
  }

  /** The VM's input and output streams (its output goes to the stream from now on). */
  public VmStreams streams(String id) {
    VmHandle h = handle(id);
    synchronized (h) {
      if (h.listener() != null) {
        throw new VmConflictException(
            "VM " + id + " serves clients itself (standalone mode); it has no streams");
      }
      if (h.streams() == null) {
        var s = props.stream();
        InputFlow flow = new InputFlow(s.inputHighWatermark());
        StreamOutputSink sink =
            new StreamOutputSink(
                h.vm(),
                h.epoch()::get,
                flow,
                s.outputHighWatermark(),
                s.outputLowWatermark(),
                s.heartbeatInterval(),
                s.outputRetention());
        h.vm().outputSink(sink);
        h.streams(new VmStreams(h.vm(), sink, flow, (int) s.maxFrame()));
      }
      return h.streams();
    }
  }

  // ---- standalone network mode ----------------------------------------------------------------

  /** Serves the VM on a TCP port of this host (standalone network mode). */
  public VmView listen(String id, String bindAddress, int port) {
    VmHandle h = handle(id);
    synchronized (h) {
      if (h.listener() != null) {
        throw new VmConflictException(
            "VM " + id + " already listens on " + h.listenAddress() + ":" + h.listener().port());
      }
      if (h.streams() != null) {
        throw new VmConflictException("VM " + id + " is served by streams; it cannot also listen");
      }
      String address = bindAddress == null ? props.standalone().bindAddress() : bindAddress;
      try {
        StandaloneListener l = StandaloneListener.open(h.vm(), address, port, limits());
        h.listener(l, address, l.port());
        log.info("VM {} serves clients on {}:{}", id, address, l.port());
      } catch (IOException e) {
        throw new VmConflictException(
            "cannot listen on " + address + ":" + port + ": " + e.getMessage());
      }
    }
    return view(h);
  }

  private StandaloneListener reopenListener(VmHandle h, MicroVm vm) {
    try {
      return StandaloneListener.open(vm, h.listenAddress(), h.listenPort(), limits());
    } catch (IOException e) {
      throw new VmConflictException(
          "cannot listen again on "
              + h.listenAddress()
              + ":"
              + h.listenPort()
              + ": "
              + e.getMessage());
    }
  }

  private StandaloneLimits limits() {
    var s = props.standalone();
    return new StandaloneLimits(
        (int) s.readBuffer(),
        s.inputHighWatermark(),
        s.outputHighWatermark(),
        s.outputLowWatermark());
  }

  // ---- queries --------------------------------------------------------------------------------

  public List<VmView> list() {
    return vms.values().stream()
        .sorted(Comparator.comparing(h -> h.spec().id()))
        .map(this::view)
        .toList();
  }

  public VmView get(String id) {
    return view(handle(id));
  }

  /** The micro-VM behind an id (for checkpoint and replication services). */
  public MicroVm vm(String id) {
    return handle(id).vm();
  }

  VmHandle handle(String id) {
    VmHandle h = vms.get(id);
    if (h == null) {
      throw new VmNotFoundException(id);
    }
    return h;
  }

  /** SHA-256 of a VM's whole memory, taken at an event boundary (verification, diagnostics). */
  public VmDigest digest(String id) {
    MicroVm vm = vm(id);
    return vm.atBoundary(
        "digest",
        () ->
            new VmDigest(
                id,
                java.util.HexFormat.of().formatHex(vm.memory().digest()),
                vm.memory().pages(),
                vm.lastCheckpoint()));
  }

  /**
   * @param vm VM id
   * @param sha256 SHA-256 of the whole linear memory
   * @param memoryPages memory size in 64 KiB pages
   * @param lastCheckpoint last checkpoint captured or applied
   */
  public record VmDigest(String vm, String sha256, int memoryPages, long lastCheckpoint) {}

  /** Refreshes every VM's figures for metrics (called periodically). */
  public void refreshStats() {
    for (VmHandle h : vms.values()) {
      try {
        h.refreshStats();
      } catch (RuntimeException e) {
        log.debug("stats of VM {} unavailable: {}", h.spec().id(), e.getMessage());
      }
    }
  }

  private VmView view(VmHandle h) {
    MicroVm vm = h.vm();
    VmStats s;
    try {
      s = h.refreshStats();
    } catch (RuntimeException e) {
      s = h.lastStats();
    }
    if (s == null) {
      s = new VmStats(vm.state(), 0, 0, 0, 0, 0, 0, 0, 0, -1, 0, 0, 0, null);
    }
    StandaloneListener l = h.listener();
    int highest = 0;
    List<Integer> open = List.of();
    try {
      highest = vm.highestConnectionId();
      open = vm.connectionIds();
    } catch (RuntimeException e) {
      // a VM that does not run has none to show
    }
    return new VmView(
        h.spec().id(),
        h.spec().guest(),
        vm.guest().sha256Hex(),
        s.state() == null ? VmState.STOPPED : s.state(),
        h.spec().memoryBytes(),
        h.spec().diskBytes(),
        (long) s.memoryPages() * 65536,
        s.trackPages(),
        s.dirtyPages(),
        s.events(),
        s.guestNanos() / 1e6,
        s.connections(),
        s.timers(),
        s.interval(),
        s.lastCheckpoint(),
        s.bufferedInput(),
        s.inputErrors(),
        s.diskErrors(),
        s.crash(),
        l == null ? null : h.listenAddress() + ":" + l.port(),
        highest,
        open);
  }

  @Override
  public void close() {
    for (VmHandle h : vms.values()) {
      try {
        if (h.listener() != null) {
          h.listener().close();
        }
        h.vm().stop();
      } catch (RuntimeException e) {
        log.warn("stopping VM {}: {}", h.spec().id(), e.getMessage());
      }
    }
  }
}
