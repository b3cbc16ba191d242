package dev.coloha.microvm;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.WasmFunctionHandle;
import dev.coloha.microvm.conn.ConnectionTable;
import dev.coloha.microvm.device.BlockDevice;
import dev.coloha.microvm.device.HostClock;
import dev.coloha.microvm.device.HostRandom;
import dev.coloha.microvm.guest.GuestAbi;
import dev.coloha.microvm.memory.TrackedMemory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host side of guest ABI v1: the functions a guest imports, bound to this VM's connections,
 * timers, disk, clock, random source and output sink. Runs on the VM's thread only.
 */
final class GuestDevices {
  private static final long[] NONE = new long[0];

  private final String vmId;
  private final VmConfig config;
  private final ConnectionTable connections;
  private final TimerTable timers;
  private final BlockDevice disk;
  private final HostClock clock;
  private final HostRandom random;
  private final Logger guestLog;
  private final java.util.Map<String, String> environment;
  private volatile OutputSink sink;
  private TrackedMemory memory;

  /** Output interval: 0 until the first checkpoint; checkpoint N moves the VM to N + 1. */
  private long interval = 0;

  private long diskErrors;

  GuestDevices(
      String vmId,
      VmConfig config,
      BlockDevice disk,
      HostClock clock,
      HostRandom random,
      OutputSink sink,
      java.util.Map<String, String> environment) {
    this.vmId = vmId;
    this.environment = java.util.Map.copyOf(environment);
    this.config = config;
    this.connections = new ConnectionTable(config.maxConnections(), config.maxDeadConnections());
    this.timers = new TimerTable(config.maxTimers());
    this.disk = disk;
    this.clock = clock;
    this.random = random;
    this.sink = sink;
    this.guestLog = LoggerFactory.getLogger("guest." + vmId);
  }

  void attach(TrackedMemory memory) {
    this.memory = memory;
  }

  ConnectionTable connections() {
    return connections;
  }

  TimerTable timers() {
    return timers;
  }

  BlockDevice disk() {
    return disk;
  }

  HostClock clock() {
    return clock;
  }

  HostRandom random() {
    return random;
  }

  VmConfig config() {
    return config;
  }

  OutputSink sink() {
    return sink;
  }

  void sink(OutputSink sink) {
    this.sink = sink;
  }

  long interval() {
    return interval;
  }

  void interval(long interval) {
    if (interval != this.interval) {
      this.interval = interval;
      sink.interval(interval);
    }
  }

  long diskErrors() {
    return diskErrors;
  }

  ImportValues imports() {
    List<ImportFunction> fns = new ArrayList<>();
    add(fns, "send", (inst, a) -> new long[] {send((int) a[0], (int) a[1], (int) a[2])});
    add(fns, "close", (inst, a) -> new long[] {close((int) a[0])});
    add(fns, "clock_realtime", (inst, a) -> new long[] {clock.realtimeNanos()});
    add(fns, "clock_monotonic", (inst, a) -> new long[] {clock.monotonicNanos()});
    add(fns, "random", (inst, a) -> randomBytes((int) a[0], (int) a[1]));
    add(fns, "disk_size", (inst, a) -> new long[] {disk.sizeBytes()});
    add(fns, "disk_read", (inst, a) -> new long[] {diskRead(a[0], (int) a[1], (int) a[2])});
    add(fns, "disk_write", (inst, a) -> new long[] {diskWrite(a[0], (int) a[1], (int) a[2])});
    add(fns, "disk_flush", (inst, a) -> new long[] {diskFlush()});
    add(fns, "timer_set", (inst, a) -> new long[] {timerSet((int) a[0], a[1])});
    add(fns, "timer_cancel", (inst, a) -> timerCancel((int) a[0]));
    add(fns, "log", (inst, a) -> log((int) a[0], (int) a[1], (int) a[2]));
    add(
        fns,
        "env_get",
        (inst, a) -> new long[] {envGet((int) a[0], (int) a[1], (int) a[2], (int) a[3])});
    return ImportValues.builder().withFunctions(fns).build();
  }

  private static void add(List<ImportFunction> fns, String name, WasmFunctionHandle handle) {
    fns.add(new HostFunction(GuestAbi.IMPORT_MODULE, name, GuestAbi.IMPORTS.get(name), handle));
  }

  // ---- network --------------------------------------------------------------------------------

  private int send(int conn, int ptr, int len) {
    if (len < 0) {
      throw new GuestFault("send with negative length " + len);
    }
    byte[] bytes = new byte[len];
    memory.read(ptr, bytes, 0, len);
    long offset = connections.produced(conn, len);
    if (offset < 0) {
      return GuestAbi.E_NOCONN;
    }
    if (len > 0) {
      sink.output(conn, interval, offset, bytes);
    }
    return len;
  }

  private int close(int conn) {
    if (!connections.guestClose(conn)) {
      return GuestAbi.E_NOCONN;
    }
    sink.closed(conn, interval, connections.get(conn).produced());
    return GuestAbi.OK;
  }

  // ---- clock, random, timers ----------------------------------------------------------------

  private long[] randomBytes(int ptr, int len) {
    if (len < 0 || len > config.maxDiskRequest()) {
      throw new GuestFault("random of " + len + " bytes");
    }
    byte[] b = new byte[len];
    random.fill(b);
    memory.write(ptr, b, 0, len);
    return NONE;
  }

  private int timerSet(int id, long delayMs) {
    long delay = Math.max(0, Math.min(delayMs, 365L * 24 * 3600 * 1000));
    return timers.set(id, clock.monotonicNanos() + delay * 1_000_000L)
        ? GuestAbi.OK
        : GuestAbi.E_LIMIT;
  }

  private long[] timerCancel(int id) {
    timers.cancel(id);
    return new long[] {GuestAbi.OK};
  }

  // ---- disk ---------------------------------------------------------------------------------

  private int diskCheck(long offset, int len) {
    if (disk.sizeBytes() == 0) {
      return GuestAbi.E_NODISK;
    }
    if (offset < 0
        || len < 0
        || offset % BlockDevice.SECTOR_SIZE != 0
        || len % BlockDevice.SECTOR_SIZE != 0) {
      return GuestAbi.E_ALIGN;
    }
    if (len > config.maxDiskRequest()) {
      return GuestAbi.E_LIMIT;
    }
    if (offset + len > disk.sizeBytes()) {
      return GuestAbi.E_RANGE;
    }
    return GuestAbi.OK;
  }

  private int diskRead(long offset, int ptr, int len) {
    int check = diskCheck(offset, len);
    if (check != GuestAbi.OK) {
      return check;
    }
    byte[] buf = new byte[len];
    try {
      disk.read(offset, buf, 0, len);
    } catch (IOException e) {
      diskErrors++;
      guestLog.warn("VM {} disk read at {} failed: {}", vmId, offset, e.getMessage());
      return GuestAbi.E_IO;
    }
    memory.write(ptr, buf, 0, len);
    return GuestAbi.OK;
  }

  private int diskWrite(long offset, int ptr, int len) {
    int check = diskCheck(offset, len);
    if (check != GuestAbi.OK) {
      return check;
    }
    // the guest's bytes straight from its memory: the device copies them before it returns
    // (BlockDevice#write), so the guest may reuse its buffer at once (issue 18: one copy and one
    // allocation less per call)
    byte[] guestMemory = memory.arrayFor(ptr, len);
    try {
      disk.write(offset, guestMemory, ptr, len);
    } catch (IOException e) {
      diskErrors++;
      guestLog.warn("VM {} disk write at {} failed: {}", vmId, offset, e.getMessage());
      return GuestAbi.E_IO;
    }
    return GuestAbi.OK;
  }

  private int diskFlush() {
    if (disk.sizeBytes() == 0) {
      return GuestAbi.E_NODISK;
    }
    try {
      disk.flush();
      return GuestAbi.OK;
    } catch (IOException e) {
      diskErrors++;
      guestLog.warn("VM {} disk flush failed: {}", vmId, e.getMessage());
      return GuestAbi.E_IO;
    }
  }

  // ---- log ----------------------------------------------------------------------------------

  private long[] log(int level, int ptr, int len) {
    int n = Math.max(0, Math.min(len, config.maxLogLine()));
    String line = new String(memory.readBytes(ptr, n), StandardCharsets.UTF_8);
    switch (level) {
      case 0 -> guestLog.debug("{}", line);
      case 1 -> guestLog.info("{}", line);
      case 2 -> guestLog.warn("{}", line);
      default -> guestLog.error("{}", line);
    }
    return NONE;
  }

  // ---- environment ----------------------------------------------------------------------------

  /**
   * Copies at most {@code bufLen} bytes (UTF-8) of the variable's value to {@code buf}; its whole
   * length, or {@link GuestAbi#E_UNSET}.
   */
  private int envGet(int namePtr, int nameLen, int buf, int bufLen) {
    if (nameLen < 0 || bufLen < 0) {
      throw new GuestFault("env_get with a negative length");
    }
    String name =
        new String(memory.readBytes(namePtr, Math.min(nameLen, 4096)), StandardCharsets.UTF_8);
    String value = environment.get(name);
    if (value == null) {
      return GuestAbi.E_UNSET;
    }
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    memory.write(buf, bytes, 0, Math.min(bytes.length, bufLen));
    return bytes.length;
  }

  /** A guest misused an import in a way that is a crash (like a bad pointer). */
  static final class GuestFault extends RuntimeException {
    GuestFault(String message) {
      super(message);
    }
  }
}
