package dev.coloha.agent.config;

import static dev.coloha.web.settings.SettingCheck.atLeast;
import static dev.coloha.web.settings.SettingCheck.below;
import static dev.coloha.web.settings.SettingCheck.intBytes;
import static dev.coloha.web.settings.SettingCheck.notAbove;
import static dev.coloha.web.settings.SettingCheck.notNegative;
import static dev.coloha.web.settings.SettingCheck.positive;

import dev.coloha.agent.replication.ReplicationSettings;
import dev.coloha.agent.vm.VmSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Configuration of the replica agent ({@code colo.agent.*}); every limit has a name here. See
 * docs/configuration.md.
 *
 * @param name host name this agent reports
 * @param dataDir where disk images and checkpoint files live
 * @param guestsDir optional directory of extra {@code <name>.wasm} guests
 * @param guest guest loading
 * @param vm per-VM limits and defaults
 * @param standalone standalone network mode
 * @param checkpoint checkpoint limits
 * @param stream input and output streams to the proxy
 * @param replication checkpoint replication to the secondary agent
 * @param mirror block streams to the disk mirror (VMs on mirrored disks)
 * @param testing fault injection for tests (nothing armed by default)
 */
@ConfigurationProperties("colo.agent")
public record AgentProperties(
    @DefaultValue("agent") String name,
    @DefaultValue("./data/agent") Path dataDir,
    Path guestsDir,
    @DefaultValue Guest guest,
    @DefaultValue Vm vm,
    @DefaultValue Standalone standalone,
    @DefaultValue Checkpoint checkpoint,
    @DefaultValue Stream stream,
    @DefaultValue Replication replication,
    @DefaultValue Mirror mirror,
    @DefaultValue Testing testing) {

  /**
   * @param maxModuleSize largest Wasm module accepted
   * @param supportedAbiVersions guest ABI versions this agent runs
   * @param compile compile guests to JVM bytecode (the interpreter is ~60x slower)
   * @param wasmOpt Binaryen's wasm-opt, which instruments plain WASI modules with Asyncify (a name
   *     is looked up on the PATH; when there is none, only instrumented modules are accepted)
   * @param instrumentTimeout longest a wasm-opt run may take
   */
  public record Guest(
      @DefaultValue("8MB") DataSize maxModuleSize,
      @DefaultValue("1") Set<Integer> supportedAbiVersions,
      @DefaultValue("true") boolean compile,
      @DefaultValue("wasm-opt") String wasmOpt,
      @DefaultValue("60s") Duration instrumentTimeout) {}

  /**
   * @param maxVms VMs per agent
   * @param defaultMemory memory limit when a request names none
   * @param maxMemory largest memory limit a request may ask for
   * @param defaultDisk disk size when a request names none
   * @param maxDisk largest disk a request may ask for
   * @param maxDataChunk largest single input delivery to a guest
   * @param maxTimers armed timers per VM
   * @param maxDiskRequest largest single guest disk read or write
   * @param maxLogLine guest log lines are cut to this
   * @param maxConnections connections per VM
   * @param maxDeadConnections ids of connections closed by a primary checkpoint remembered
   * @param threadStack stack of each VM thread
   * @param diskFlushPolicy what a guest's disk flush does: FSYNC (every flush), INTERVAL (fsync at
   *     most every disk-flush-interval in the background) or OS (page cache only)
   * @param diskFlushInterval period of the INTERVAL flush policy
   * @param statsInterval how often VM figures are refreshed for metrics
   * @param operationTimeout how long an API call waits for a VM operation
   * @param maxInetdQueue connections an inetd program's VM keeps waiting for their turn (later ones
   *     are closed unanswered)
   */
  public record Vm(
      @DefaultValue("16") int maxVms,
      @DefaultValue("64MB") DataSize defaultMemory,
      @DefaultValue("1GB") DataSize maxMemory,
      @DefaultValue("64MB") DataSize defaultDisk,
      @DefaultValue("4GB") DataSize maxDisk,
      @DefaultValue("16KB") DataSize maxDataChunk,
      @DefaultValue("64") int maxTimers,
      @DefaultValue("1MB") DataSize maxDiskRequest,
      @DefaultValue("1KB") DataSize maxLogLine,
      @DefaultValue("10000") int maxConnections,
      @DefaultValue("65536") int maxDeadConnections,
      @DefaultValue("16MB") DataSize threadStack,
      @DefaultValue("INTERVAL") dev.coloha.microvm.device.FlushPolicy diskFlushPolicy,
      @DefaultValue("1s") Duration diskFlushInterval,
      @DefaultValue("1s") Duration statsInterval,
      @DefaultValue("30s") Duration operationTimeout,
      @DefaultValue("256") int maxInetdQueue) {}

  /**
   * @param guest when set, a VM of this guest is created at start-up and served on {@code port}
   * @param vmId id of that VM
   * @param port TCP port of the standalone listener (0 picks a free one)
   * @param bindAddress address the standalone listener binds to
   * @param memory memory limit of the start-up VM
   * @param disk disk size of the start-up VM
   * @param outputHighWatermark queued output per client above which its input is held
   * @param outputLowWatermark queued output per client below which its input resumes
   * @param inputHighWatermark unconsumed input per client above which the agent stops reading it
   * @param readBuffer bytes read from a client socket at a time
   */
  public record Standalone(
      String guest,
      @DefaultValue("standalone") String vmId,
      @DefaultValue("0") int port,
      @DefaultValue("127.0.0.1") String bindAddress,
      @DefaultValue("64MB") DataSize memory,
      @DefaultValue("64MB") DataSize disk,
      @DefaultValue("1MB") DataSize outputHighWatermark,
      @DefaultValue("256KB") DataSize outputLowWatermark,
      @DefaultValue("1MB") DataSize inputHighWatermark,
      @DefaultValue("16KB") DataSize readBuffer) {}

  /**
   * @param maxMemoryPages largest memory a checkpoint may describe, in 64 KiB pages
   * @param maxRunPages pages per PAGES frame
   * @param maxConnections connection table size a checkpoint may carry
   * @param maxTimers timers a checkpoint may carry
   * @param maxGlobals globals a checkpoint may carry
   */
  public record Checkpoint(
      @DefaultValue("16384") int maxMemoryPages,
      @DefaultValue("256") int maxRunPages,
      @DefaultValue("100000") int maxConnections,
      @DefaultValue("4096") int maxTimers,
      @DefaultValue("4096") int maxGlobals) {}

  /**
   * @param outputHighWatermark output queued for the proxy above which the guest's input stops
   * @param outputLowWatermark queued output below which it resumes
   * @param inputHighWatermark input submitted but not consumed above which the input stream is not
   *     read (TCP backpressure to the proxy)
   * @param heartbeatInterval heartbeat period on idle streams
   * @param maxFrame largest frame accepted on a stream
   * @param outputRetention output frames already written to the proxy kept for a new subscriber
   *     (they may have died in a killed proxy's socket): the standby proxy taking over, or a
   *     reopened stream, is sent them first; 0 keeps none
   */
  public record Stream(
      @DefaultValue("8MB") DataSize outputHighWatermark,
      @DefaultValue("2MB") DataSize outputLowWatermark,
      @DefaultValue("4MB") DataSize inputHighWatermark,
      @DefaultValue("500ms") Duration heartbeatInterval,
      @DefaultValue("2MB") DataSize maxFrame,
      @DefaultValue("1MB") DataSize outputRetention) {}

  /**
   * @param checkpointTimeout how long a primary waits for its secondary's acknowledgement of a
   *     checkpoint before failing the request (the primary VM keeps running)
   * @param syncTimeout how long a live initial sync may take in all
   * @param connectTimeout TCP connect timeout to the secondary agent
   * @param streamReadTimeout silence tolerated on a checkpoint stream (heartbeats flow every
   *     heartbeat-interval)
   * @param heartbeatInterval heartbeat period on an idle checkpoint stream
   * @param precopyMaxRounds live sync: pre-copy rounds at most before the final pause
   * @param precopyThresholdPages live sync: stop pre-copying when a round has fewer dirty pages
   * @param precopyBatchPages pages read per pre-copy frame
   * @param streamPort port of the agent's checkpoint-stream listener (a blocking socket per stream;
   *     primaries ask {@code GET /v1/replica-stream} for it); 0 picks a free port, -1 turns it off
   *     and checkpoint streams go through the HTTP server
   * @param streamBindAddress address the checkpoint-stream listener binds to
   * @param maxStreams checkpoint streams the listener serves at once (more are refused, 503)
   * @param streamIdleTimeout silence a secondary tolerates on a checkpoint stream before it drops
   *     it (primaries send heartbeats every heartbeat-interval)
   * @param socketBuffer the agent's HTTP server reads and writes its sockets in buffers of this
   *     size (Tomcat's {@code socket.appReadBufSize} and {@code appWriteBufSize}; Tomcat's default
   *     is 8 KiB, which costs a checkpoint stream one wake-up per 8 KiB)
   */
  public record Replication(
      @DefaultValue("10s") Duration checkpointTimeout,
      @DefaultValue("5m") Duration syncTimeout,
      @DefaultValue("2s") Duration connectTimeout,
      @DefaultValue("5s") Duration streamReadTimeout,
      @DefaultValue("500ms") Duration heartbeatInterval,
      @DefaultValue("8") int precopyMaxRounds,
      @DefaultValue("256") int precopyThresholdPages,
      @DefaultValue("256") int precopyBatchPages,
      @DefaultValue("0") int streamPort,
      @DefaultValue("0.0.0.0") String streamBindAddress,
      @DefaultValue("64") int maxStreams,
      @DefaultValue("30s") Duration streamIdleTimeout,
      @DefaultValue("64KB") DataSize socketBuffer) {}

  /**
   * @param connectTimeout TCP connect timeout to the disk mirror
   * @param requestTimeout how long one disk request (read, write, flush, barrier, commit) may take
   * @param heartbeatInterval heartbeat period on an idle block stream
   * @param streamTimeout silence tolerated on a block stream before it counts as broken
   * @param localSocket this host's mirror's Unix-domain socket ({@code colo.mirror.io.unix-socket}
   *     of the mirror on the same host): when set, mirrored disks use it instead of the loopback
   *     HTTP stream to the URL the coordinator gave; none by default
   * @param maxQueuedWrites writes of one disk queued and not yet acknowledged by the mirror before
   *     the VM's next write waits (write-behind backpressure)
   * @param maxQueuedBytes bytes of those writes before the VM's next write waits
   * @param writeHoldTime longest time a write is held back in the agent before it is sent to the
   *     mirror (a later write to the same sectors replaces a held one, as in a page cache)
   * @param writeHoldBytes bytes held back before they are sent
   * @param secondaryHoldBytes a secondary's overlay writes held back in the agent until the commit
   *     that discards them (no hold time; past it they are sent as a primary's); 0: held as a
   *     primary's. At most {@code maxQueuedBytes}
   * @param replyPoll on the Unix-domain socket, how long the VM thread waiting for a flush's (or
   *     read's, barrier's) reply polls the socket, yielding its CPU, before it sleeps; 0: sleeps at
   *     once. At most {@code requestTimeout}
   */
  public record Mirror(
      @DefaultValue("2s") Duration connectTimeout,
      @DefaultValue("30s") Duration requestTimeout,
      @DefaultValue("1s") Duration heartbeatInterval,
      @DefaultValue("10s") Duration streamTimeout,
      Path localSocket,
      @DefaultValue("4096") int maxQueuedWrites,
      @DefaultValue("64MB") DataSize maxQueuedBytes,
      @DefaultValue("100ms") Duration writeHoldTime,
      @DefaultValue("64KB") DataSize writeHoldBytes,
      @DefaultValue("32MB") DataSize secondaryHoldBytes,
      @DefaultValue("250us") Duration replyPoll) {}

  /**
   * @param linkFaults fault points of the checkpoint link armed for tests, {@code POINT@VM} each
   *     ({@code link-before-send}, {@code link-before-ack}, {@code secondary-apply}); each fires
   *     once, breaking the VM's checkpoint stream there. Never set in production
   */
  public record Testing(List<String> linkFaults) {
    public Testing {
      linkFaults = linkFaults == null ? List.of() : List.copyOf(linkFaults);
    }
  }

  private static final String P = "colo.agent.";

  /**
   * The VMs' settings, checked: a value that cannot work fails the start naming its property.
   *
   * @throws dev.coloha.web.settings.InvalidSettingException naming the property
   */
  public VmSettings vmSettings() {
    String pv = P + "vm.";
    notAbove(
        pv + "default-memory",
        vm.defaultMemory(),
        positive(pv + "default-memory", vm.defaultMemory()),
        pv + "max-memory",
        positive(pv + "max-memory", vm.maxMemory()));
    notAbove(
        pv + "default-disk",
        vm.defaultDisk(),
        notNegative(pv + "default-disk", vm.defaultDisk()),
        pv + "max-disk",
        notNegative(pv + "max-disk", vm.maxDisk()));
    String ps = P + "stream.";
    below(
        ps + "output-low-watermark",
        stream.outputLowWatermark(),
        notNegative(ps + "output-low-watermark", stream.outputLowWatermark()),
        ps + "output-high-watermark",
        positive(ps + "output-high-watermark", stream.outputHighWatermark()));
    String pa = P + "standalone.";
    below(
        pa + "output-low-watermark",
        standalone.outputLowWatermark(),
        notNegative(pa + "output-low-watermark", standalone.outputLowWatermark()),
        pa + "output-high-watermark",
        positive(pa + "output-high-watermark", standalone.outputHighWatermark()));
    String pm = P + "mirror.";
    // a secondary's held overlay writes are unacknowledged writes: the queue bounds them too
    notAbove(
        pm + "secondary-hold-bytes",
        mirror.secondaryHoldBytes(),
        notNegative(pm + "secondary-hold-bytes", mirror.secondaryHoldBytes()),
        pm + "max-queued-bytes",
        positive(pm + "max-queued-bytes", mirror.maxQueuedBytes()));
    notAbove(
        pm + "reply-poll",
        mirror.replyPoll(),
        notNegative(pm + "reply-poll", mirror.replyPoll()).toNanos(),
        pm + "request-timeout",
        positive(pm + "request-timeout", mirror.requestTimeout()).toNanos());
    return new VmSettings(
        dataDir,
        new VmSettings.Vm(
            atLeast(pv + "max-vms", vm.maxVms(), 1),
            vm.defaultMemory().toBytes(),
            vm.maxMemory().toBytes(),
            vm.defaultDisk().toBytes(),
            vm.maxDisk().toBytes(),
            intBytes(pv + "max-data-chunk", vm.maxDataChunk()),
            atLeast(pv + "max-timers", vm.maxTimers(), 0),
            intBytes(pv + "max-disk-request", vm.maxDiskRequest()),
            intBytes(pv + "max-log-line", vm.maxLogLine()),
            atLeast(pv + "max-connections", vm.maxConnections(), 1),
            atLeast(pv + "max-dead-connections", vm.maxDeadConnections(), 0),
            positive(pv + "thread-stack", vm.threadStack()),
            vm.diskFlushPolicy(),
            positive(pv + "disk-flush-interval", vm.diskFlushInterval()),
            positive(pv + "operation-timeout", vm.operationTimeout()),
            atLeast(pv + "max-inetd-queue", vm.maxInetdQueue(), 0)),
        new VmSettings.Stream(
            stream.outputHighWatermark().toBytes(),
            stream.outputLowWatermark().toBytes(),
            positive(ps + "input-high-watermark", stream.inputHighWatermark()),
            positive(ps + "heartbeat-interval", stream.heartbeatInterval()),
            intBytes(ps + "max-frame", stream.maxFrame()),
            notNegative(ps + "output-retention", stream.outputRetention())),
        new VmSettings.Standalone(
            standalone.bindAddress(),
            standalone.outputHighWatermark().toBytes(),
            standalone.outputLowWatermark().toBytes(),
            positive(pa + "input-high-watermark", standalone.inputHighWatermark()),
            intBytes(pa + "read-buffer", standalone.readBuffer())),
        new VmSettings.Mirror(
            positive(pm + "connect-timeout", mirror.connectTimeout()),
            positive(pm + "request-timeout", mirror.requestTimeout()),
            positive(pm + "heartbeat-interval", mirror.heartbeatInterval()),
            positive(pm + "stream-timeout", mirror.streamTimeout()),
            mirror.localSocket(),
            atLeast(pm + "max-queued-writes", mirror.maxQueuedWrites(), 1),
            positive(pm + "max-queued-bytes", mirror.maxQueuedBytes()),
            notNegative(pm + "write-hold-time", mirror.writeHoldTime()),
            notNegative(pm + "write-hold-bytes", mirror.writeHoldBytes()),
            mirror.secondaryHoldBytes().toBytes(),
            mirror.replyPoll()));
  }

  /**
   * The checkpoint links' settings, checked: a value that cannot work fails the start naming its
   * property.
   *
   * @throws dev.coloha.web.settings.InvalidSettingException naming the property
   */
  public ReplicationSettings replicationSettings() {
    String pr = P + "replication.";
    return new ReplicationSettings(
        positive(pr + "checkpoint-timeout", replication.checkpointTimeout()),
        positive(pr + "sync-timeout", replication.syncTimeout()),
        positive(pr + "connect-timeout", replication.connectTimeout()),
        positive(pr + "stream-read-timeout", replication.streamReadTimeout()),
        positive(pr + "heartbeat-interval", replication.heartbeatInterval()),
        atLeast(pr + "precopy-max-rounds", replication.precopyMaxRounds(), 0),
        atLeast(pr + "precopy-threshold-pages", replication.precopyThresholdPages(), 0),
        atLeast(pr + "precopy-batch-pages", replication.precopyBatchPages(), 1),
        testing.linkFaults());
  }
}
