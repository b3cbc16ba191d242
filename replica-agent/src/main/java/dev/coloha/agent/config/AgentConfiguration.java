package dev.coloha.agent.config;

import dev.coloha.agent.metrics.VmMetrics;
import dev.coloha.agent.vm.CheckpointFiles;
import dev.coloha.agent.vm.VmService;
import dev.coloha.microvm.guest.GuestCatalog;
import dev.coloha.microvm.guest.GuestLoader;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Wires the agent's domain objects; they carry no Spring annotations themselves. */
@Configuration(proxyBeanMethods = false)
public class AgentConfiguration {

  @Bean
  GuestCatalog guestCatalog(AgentProperties props) {
    var g = props.guest();
    GuestLoader loader =
        new GuestLoader((int) g.maxModuleSize().toBytes(), g.supportedAbiVersions(), g.compile());
    return new GuestCatalog(loader, Optional.ofNullable(props.guestsDir()));
  }

  @Bean
  VmMetrics vmMetrics(MeterRegistry registry) {
    return new VmMetrics(registry);
  }

  @Bean(destroyMethod = "close")
  VmService vmService(AgentProperties props, GuestCatalog guests, VmMetrics metrics) {
    return new VmService(props, guests, metrics);
  }

  @Bean
  CheckpointFiles checkpointFiles(VmService vms, VmMetrics metrics, AgentProperties props) {
    return new CheckpointFiles(vms, metrics, props);
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
