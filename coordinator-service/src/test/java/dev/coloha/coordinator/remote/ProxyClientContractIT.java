package dev.coloha.coordinator.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coloha.api.CheckpointCommit;
import dev.coloha.api.ErrorKind;
import dev.coloha.api.Offset;
import dev.coloha.api.proxy.ProxyEvent;
import dev.coloha.api.proxy.ProxyEventType;
import dev.coloha.testkit.Http;
import dev.coloha.testkit.ServiceProcess;
import dev.coloha.web.security.SecurityProperties;
import dev.coloha.web.security.ServiceToken;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.RetryRegistry;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * The coordinator's {@link ProxyClient} and {@link ProxyEventStream} against the real packet proxy
 * (its executable jar, a process on an ephemeral loopback port): every call the coordinator makes
 * is accepted as the client sends it, refusals come back as their {@link ErrorKind}, and the
 * proxy's events are read into the records it wrote.
 */
class ProxyClientContractIT {
  static final String TOKEN = "contract-token";
  static final String PRIMARY = "http://127.0.0.1:9";
  static final String SECONDARY = "http://127.0.0.1:7";
  static final Duration TIMEOUT = Duration.ofSeconds(5);

  static ServiceProcess proxy;
  static Remote remote;
  static ProxyClient client;
  static String url;

  @BeforeAll
  static void start() throws IOException {
    Path dir = Files.createTempDirectory("proxy-client-contract");
    proxy =
        ServiceProcess.proxy(
            dir.resolve("proxy.log"),
            "--colo.security.token=" + TOKEN,
            "--colo.proxy.stream.connect-timeout=200ms");
    url = proxy.url();
    remote =
        new Remote(
            JsonMapper.builder().build(),
            new ServiceToken(new SecurityProperties(TOKEN)),
            CircuitBreakerRegistry.ofDefaults(),
            RetryRegistry.ofDefaults(),
            TIMEOUT);
    client = new ProxyClient(remote, TIMEOUT);
  }

  @AfterAll
  static void stop() {
    if (proxy != null) {
      proxy.close();
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static void configure(String group, long epoch, int port) {
    client.configure(
        url,
        group,
        epoch,
        "127.0.0.1",
        port,
        new ProxyClient.Endpoint(PRIMARY, "p"),
        new ProxyClient.Endpoint(SECONDARY, "s"),
        Duration.ofMillis(500),
        null);
  }

  static long committed(String group) {
    return new Http(url, TOKEN)
        .get("/v1/groups/" + group)
        .json()
        .get("counters")
        .get("committedSequence")
        .asLong();
  }

  @Test
  void aGroupIsConfiguredCommittedFailedOverAndDeletedAsTheClientSendsIt() throws IOException {
    configure("life", 3, freePort());
    assertThat(client.servedEpoch(url, "life", TIMEOUT)).isEqualTo(3);
    assertThat(client.groupNames(url)).contains("life");

    client.commit(
        url,
        "life",
        3,
        new CheckpointCommit(4, List.of(new Offset(1, 0L)), List.of(new Offset(1, 0L)), null));
    assertThat(committed("life")).isEqualTo(4);
    // the signature GroupOperations calls, with the agent's offsets
    client.commit(url, "life", 3, 5, List.of(new AgentClient.Offset(1, 0)), List.of(), List.of());
    assertThat(committed("life")).isEqualTo(5);

    client.failover(url, "life", 4, new ProxyClient.Endpoint(SECONDARY, "s"));
    assertThat(client.servedEpoch(url, "life", TIMEOUT)).isEqualTo(4);

    client.delete(url, "life");
    assertThat(client.servedEpoch(url, "life", TIMEOUT)).isEqualTo(-1);
    client.delete(url, "life"); // gone already: done
  }

  @Test
  void aRestartedProxyTakesTheSyncAndTheResumeAsGroupOperationsBuildsThem() throws IOException {
    client.configure(
        url,
        "resumed",
        7,
        "127.0.0.1",
        freePort(),
        new ProxyClient.Endpoint(PRIMARY, "p"),
        new ProxyClient.Endpoint(SECONDARY, "s"),
        Duration.ofMillis(500),
        Map.of(
            "sequence", 12L,
            "outputOffsets", List.of(new AgentClient.Offset(3, 40)),
            "inputOffsets", List.of(new AgentClient.Offset(3, 10)),
            "closedConnections", List.of()),
        Map.of("nextConnection", 5, "lostConnections", List.of(Map.of("conn", 3, "offset", 10L))));
    assertThat(client.servedEpoch(url, "resumed", TIMEOUT)).isEqualTo(7);
    client.delete(url, "resumed");
  }

  @Test
  void refusalsComeBackAsTheirKind() throws IOException {
    configure("fenced", 5, freePort());
    assertThatThrownBy(
            () -> client.commit(url, "fenced", 4, new CheckpointCommit(1, null, null, null)))
        .isInstanceOfSatisfying(
            RemoteException.class,
            e -> {
              assertThat(e.answered(ErrorKind.STALE_EPOCH)).as(e.getMessage()).isTrue();
              assertThat(e.status()).isEqualTo(ErrorKind.STALE_EPOCH.status());
            });
    assertThatThrownBy(
            () -> client.commit(url, "no-such-group", 1, new CheckpointCommit(1, null, null, null)))
        .isInstanceOfSatisfying(
            RemoteException.class,
            e -> assertThat(e.problemKind()).contains(ErrorKind.GROUP_NOT_FOUND));
    client.delete(url, "fenced");
  }

  @Test
  void aListenCheckIsFreeOrAConflict() throws IOException {
    int port = freePort();
    client.checkListen(url, "127.0.0.1", port, TIMEOUT);
    configure("listening", 1, port);
    assertThatThrownBy(() -> client.checkListen(url, "127.0.0.1", port, TIMEOUT))
        .isInstanceOfSatisfying(
            RemoteException.class, e -> assertThat(e.answered(ErrorKind.CONFLICT)).isTrue());
    client.delete(url, "listening");
  }

  @Test
  void theProxysEventsAreReadIntoTheRecordsItWrote() throws Exception {
    BlockingQueue<ProxyEvent> events = new LinkedBlockingQueue<>();
    configure("watched", 2, freePort());
    try (ProxyEventStream stream =
        new ProxyEventStream(
                remote, url, "watched", events::add, (why, at) -> {}, Duration.ofMillis(100))
            .start()) {
      // followed once the first event (a heartbeat, every second on an idle stream) is here
      assertThat(events.poll(30, TimeUnit.SECONDS)).as("a first event").isNotNull();
      client.failover(url, "watched", 3, new ProxyClient.Endpoint(SECONDARY, "s"));
      ProxyEvent.Switched switched = null;
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (switched == null && System.nanoTime() < until) {
        if (events.poll(1, TimeUnit.SECONDS) instanceof ProxyEvent.Switched w) {
          switched = w;
        }
      }
      assertThat(switched).as("the failover's event").isNotNull();
      assertThat(switched.type()).isEqualTo(ProxyEventType.FAILOVER);
      assertThat(switched.group()).isEqualTo("watched");
      assertThat(switched.epoch()).isEqualTo(3);
      assertThat(switched.primary()).contains("127.0.0.1:7");
      assertThat(switched.time()).isNotNull();
    } finally {
      client.delete(url, "watched");
    }
  }
}
