package dev.coloha.coordinator.config;

import dev.coloha.coordinator.events.GroupEvents;
import dev.coloha.coordinator.group.CoordinatorSettings;
import dev.coloha.coordinator.group.GroupService;
import dev.coloha.coordinator.guests.GuestLibrary;
import dev.coloha.coordinator.guests.LibraryDelivery;
import dev.coloha.coordinator.hosts.HostRegistry;
import dev.coloha.coordinator.remote.AgentClient;
import dev.coloha.coordinator.remote.MirrorClient;
import dev.coloha.coordinator.remote.ProxyClient;
import dev.coloha.coordinator.remote.Remote;
import dev.coloha.coordinator.store.CoordinatorStore;
import dev.coloha.coordinator.store.H2StoreImport;
import dev.coloha.coordinator.store.JournalCoordinatorStore;
import dev.coloha.microvm.guest.GuestLoader;
import dev.coloha.microvm.guest.WasmOptAsyncify;
import dev.coloha.web.security.ServiceToken;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.RetryRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.Set;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/** Wires the coordinator's domain objects; they carry no Spring annotations themselves. */
@Configuration(proxyBeanMethods = false)
public class CoordinatorConfiguration {

  /** Readiness: the store takes saves (management.endpoint.health.group.readiness). */
  @Bean
  StoreHealth coordinatorStoreHealthIndicator(JournalCoordinatorStore store) {
    return new StoreHealth(store);
  }

  @Bean
  Clock clock() {
    return Clock.systemUTC();
  }

  /**
   * The journal under the data directory ({@code coordinator.journal}), replayed at the start; the
   * H2 database of 0.1.x found there instead is imported into it once.
   */
  @Bean(destroyMethod = "close")
  JournalCoordinatorStore coordinatorStore(CoordinatorProperties props, StoreProperties store)
      throws java.io.IOException {
    java.nio.file.Path dir = props.dataDir().toAbsolutePath().normalize();
    java.nio.file.Files.createDirectories(dir);
    JsonMapper json =
        JsonMapper.builder().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();
    return H2StoreImport.open(
        dir.resolve("coordinator.journal"),
        json,
        store.fsync(),
        store.compactBytes().toBytes(),
        props.eventHistory());
  }

  @Bean
  HostRegistry hostRegistry(CoordinatorStore store, Clock clock, CoordinatorProperties props) {
    return new HostRegistry(store, clock, props.hostGrace());
  }

  @Bean
  Remote remote(
      ServiceToken token,
      CircuitBreakerRegistry breakers,
      RetryRegistry retries,
      CoordinatorProperties props) {
    JsonMapper json =
        JsonMapper.builder().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();
    return new Remote(json, token, breakers, retries, props.callTimeout());
  }

  @Bean
  GuestLibrary guestLibrary(CoordinatorProperties props, GuestLibraryProperties guests) {
    GuestLoader loader =
        new GuestLoader(
            (int) guests.maxModuleSize().toBytes(),
            Set.of(1),
            false,
            WasmOptAsyncify.locate(guests.wasmOpt(), guests.instrumentTimeout()));
    return new GuestLibrary(
        guests.dir() != null ? guests.dir() : props.dataDir().resolve("guests"), loader);
  }

  @Bean
  AgentClient agentClient(Remote remote, CoordinatorProperties props, GuestLibrary library) {
    return new AgentClient(
        remote,
        props.callTimeout(),
        props.checkpointTimeout(),
        props.vmCreateTimeout(),
        new LibraryDelivery(library, remote, props.vmCreateTimeout()));
  }

  @Bean
  MirrorClient mirrorClient(Remote remote, CoordinatorProperties props) {
    return new MirrorClient(remote, props.callTimeout());
  }

  @Bean
  ProxyClient proxyClient(Remote remote, CoordinatorProperties props) {
    return new ProxyClient(remote, props.callTimeout());
  }

  @Bean
  GroupEvents groupEvents(CoordinatorProperties props, CoordinatorStore store) {
    return new GroupEvents(props.eventHistory(), store);
  }

  /** The groups' settings, checked at start-up: a value that cannot work fails it. */
  @Bean
  CoordinatorSettings coordinatorSettings(CoordinatorProperties props) {
    return props.toSettings();
  }

  @Bean(destroyMethod = "close")
  GroupService groupService(
      CoordinatorStore store,
      HostRegistry hosts,
      AgentClient agents,
      MirrorClient mirrors,
      ProxyClient proxies,
      Remote remote,
      GroupEvents events,
      MeterRegistry registry,
      CoordinatorSettings settings,
      Clock clock) {
    return new GroupService(
        store, hosts, agents, mirrors, proxies, remote, events, registry, settings, clock);
  }

  /** Resumes the stored groups once the coordinator serves (hosts can heartbeat meanwhile). */
  @Bean
  ApplicationListener<ApplicationReadyEvent> resumeGroups(GroupService groups) {
    return e -> groups.start();
  }
}
