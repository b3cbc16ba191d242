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
import dev.coloha.coordinator.store.JdbcCoordinatorStore;
import dev.coloha.coordinator.store.StoreDatabase;
import dev.coloha.microvm.guest.GuestLoader;
import dev.coloha.microvm.guest.WasmOptAsyncify;
import dev.coloha.web.security.ServiceToken;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.RetryRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.Set;
import javax.sql.DataSource;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/** Wires the coordinator's domain objects; they carry no Spring annotations themselves. */
@Configuration(proxyBeanMethods = false)
public class CoordinatorConfiguration {

  /** Readiness: the store answers (management.endpoint.health.group.readiness). */
  @Bean
  StoreHealth coordinatorStoreHealthIndicator(DataSource dataSource) {
    return new StoreHealth(dataSource);
  }

  @Bean
  Clock clock() {
    return Clock.systemUTC();
  }

  /**
   * The embedded database file under the data directory, kept open while the coordinator runs
   * (closed, written and compacted, at its shutdown).
   */
  @Bean(destroyMethod = "close")
  StoreDatabase storeDatabase(CoordinatorProperties props)
      throws java.io.IOException, java.sql.SQLException {
    java.nio.file.Path dir = props.dataDir().toAbsolutePath().normalize();
    java.nio.file.Files.createDirectories(dir);
    return new StoreDatabase(dir.resolve("coordinator"));
  }

  @Bean
  DataSource dataSource(StoreDatabase database) {
    return database.dataSource();
  }

  @Bean
  CoordinatorStore coordinatorStore(JdbcClient jdbc, DataSource dataSource) {
    JsonMapper json =
        JsonMapper.builder().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();
    return new JdbcCoordinatorStore(jdbc, json, dataSource);
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
