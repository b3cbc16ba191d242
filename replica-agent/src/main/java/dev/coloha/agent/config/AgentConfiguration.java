package dev.coloha.agent.config;

import dev.coloha.agent.metrics.ReplicationMetrics;
import dev.coloha.agent.metrics.VmMetrics;
import dev.coloha.agent.replication.ReplicationService;
import dev.coloha.agent.replication.ReplicationSettings;
import dev.coloha.agent.streamport.CheckpointStreamListener;
import dev.coloha.agent.streamport.StreamListenerHolder;
import dev.coloha.agent.vm.CheckpointFiles;
import dev.coloha.agent.vm.VmService;
import dev.coloha.agent.vm.VmSettings;
import dev.coloha.microvm.guest.GuestCatalog;
import dev.coloha.microvm.guest.GuestLoader;
import dev.coloha.microvm.guest.WasmOptAsyncify;
import dev.coloha.web.health.DataDirectoryHealth;
import dev.coloha.web.heartbeat.HeartbeatFacts;
import dev.coloha.web.security.SecurityProperties;
import dev.coloha.web.security.ServiceToken;
import dev.coloha.wire.checkpoint.CheckpointLimits;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Wires the agent's domain objects; they carry no Spring annotations themselves. */
@Configuration(proxyBeanMethods = false)
public class AgentConfiguration {

  /** Readiness: the data directory takes writes (management.endpoint.health.group.readiness). */
  @Bean
  DataDirectoryHealth dataDirectoryHealthIndicator(AgentProperties props) {
    return new DataDirectoryHealth(props.dataDir());
  }

  /** Readiness: every guest the agent knows is loaded (guests). */
  @Bean
  GuestsHealth guestsHealthIndicator(GuestCatalog guests) {
    return new GuestsHealth(guests);
  }

  @Bean
  GuestCatalog guestCatalog(AgentProperties props) {
    var g = props.guest();
    GuestLoader loader =
        new GuestLoader(
            (int) g.maxModuleSize().toBytes(),
            g.supportedAbiVersions(),
            g.compile(),
            WasmOptAsyncify.locate(g.wasmOpt(), g.instrumentTimeout()));
    return new GuestCatalog(loader, Optional.ofNullable(props.guestsDir()));
  }

  /** The coordinator learns with every heartbeat how large a VM this agent takes. */
  @Bean
  HeartbeatFacts agentLimits(AgentProperties props) {
    return () ->
        Map.of(
            "maxMemoryBytes", props.vm().maxMemory().toBytes(),
            "maxDiskBytes", props.vm().maxDisk().toBytes());
  }

  @Bean
  VmMetrics vmMetrics(MeterRegistry registry) {
    return new VmMetrics(registry);
  }

  /** The VMs' settings, checked at start-up: a value that cannot work fails it. */
  @Bean
  VmSettings vmSettings(AgentProperties props) {
    return props.vmSettings();
  }

  /** The checkpoint links' settings, checked at start-up: a value that cannot work fails it. */
  @Bean
  ReplicationSettings replicationSettings(AgentProperties props) {
    return props.replicationSettings();
  }

  @Bean(destroyMethod = "close")
  VmService vmService(
      VmSettings settings, GuestCatalog guests, VmMetrics metrics, ServiceToken token) {
    return new VmService(settings, guests, metrics, token::headers);
  }

  @Bean
  CheckpointLimits checkpointLimits(AgentProperties props) {
    var c = props.checkpoint();
    return new CheckpointLimits(
        c.maxMemoryPages(), c.maxRunPages(), c.maxConnections(), c.maxTimers(), c.maxGlobals());
  }

  @Bean
  CheckpointFiles checkpointFiles(
      VmService vms, VmMetrics metrics, CheckpointLimits limits, VmSettings settings) {
    return new CheckpointFiles(vms, metrics, limits, settings);
  }

  @Bean
  ReplicationMetrics replicationMetrics(MeterRegistry registry) {
    return new ReplicationMetrics(registry);
  }

  @Bean(destroyMethod = "close")
  ReplicationService replicationService(
      VmService vms,
      ReplicationSettings settings,
      CheckpointLimits limits,
      ReplicationMetrics metrics,
      VmMetrics vmMetrics,
      ServiceToken token) {
    return new ReplicationService(vms, settings, limits, metrics, vmMetrics, token::headers);
  }

  /** The checkpoint-stream listener, or none when {@code replication.stream-port} is -1. */
  @Bean(destroyMethod = "close")
  StreamListenerHolder checkpointStreamListener(
      ReplicationService replication, AgentProperties props, SecurityProperties security)
      throws IOException {
    var r = props.replication();
    if (r.streamPort() < 0) {
      return new StreamListenerHolder(null);
    }
    return new StreamListenerHolder(
        new CheckpointStreamListener(
            replication::openStream,
            InetAddress.getByName(r.streamBindAddress()),
            r.streamPort(),
            security.enabled() ? security.token() : null,
            r.streamIdleTimeout(),
            r.maxStreams()));
  }

  /** Refreshes VM figures for the metrics endpoint. */
  @Bean(destroyMethod = "shutdownNow")
  ScheduledExecutorService statsRefresher(VmService vms, AgentProperties props) {
    ScheduledExecutorService s =
        Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("vm-stats").factory());
    long every = props.vm().statsInterval().toMillis();
    s.scheduleWithFixedDelay(vms::refreshStats, every, every, TimeUnit.MILLISECONDS);
    return s;
  }
}
