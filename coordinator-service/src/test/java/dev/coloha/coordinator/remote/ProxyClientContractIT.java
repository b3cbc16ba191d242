package dev.coloha.coordinator.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coloha.api.CheckpointCommit;
import dev.coloha.api.ErrorKind;
import dev.coloha.api.Offset;
import dev.coloha.api.proxy.GroupRequests;
import dev.coloha.api.proxy.GroupView;
import dev.coloha.api.proxy.ListenFree;
import dev.coloha.api.proxy.ProxyEvent;
import dev.coloha.api.proxy.ProxyEventType;
import dev.coloha.testkit.Http;
import dev.coloha.testkit.MiniCluster;
import dev.coloha.testkit.ServiceProcess;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.json.JsonMapper;

/**
 * The coordinator's {@link ProxyClient} and {@link ProxyEventStream} against the real packet proxy
 * (its executable jar, a process on an ephemeral loopback port): every call the coordinator makes
 * is accepted as the client sends it, its answers are read into colo-api's records (each written
 * back is the JSON the proxy's controller sent: {@link RoundTrip}), refusals come back as their
 * {@link ErrorKind}, and the proxy's events are read into the records it wrote.
 */
class ProxyClientContractIT {
  static final String TOKEN = "contract-token";
  static final String PRIMARY = "http://127.0.0.1:9";
  static final String SECONDARY = "http://127.0.0.1:7";
  static final Duration TIMEOUT = Duration.ofSeconds(5);
  static final JsonMapper JSON = JsonMapper.builder().build();

  @RegisterExtension
  static final MiniCluster.PerClass cluster =
      MiniCluster.inTempDir("proxy-client-contract")
          .token(TOKEN)
          .proxy("proxy", "--colo.proxy.stream.connect-timeout=200ms")
          .perClass();

  static ServiceProcess proxy;
  static Remote remote;
  static ProxyClient client;
  static String url;

  @BeforeAll
  static void client() {
    proxy = cluster.proxy("proxy");
    url = proxy.url();
    remote = Remotes.of(TOKEN, TIMEOUT);
    client = new ProxyClient(remote, TIMEOUT);
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
    return RoundTrip.of(JSON, http().get("/v1/groups/" + group), GroupView.class)
        .counters()
        .committedSequence();
  }

  static Http http() {
    return new Http(url, TOKEN);
  }

  @Test
  void aGroupIsConfiguredCommittedFailedOverAndDeletedAsTheClientSendsIt() throws IOException {
    int port = freePort();
    GroupView put =
        client.configure(
            url,
            "life",
            new GroupRequests.Put(
                3L,
                new GroupRequests.Listen("127.0.0.1", port),
                GroupRequests.Mode.COLO,
                new GroupRequests.Replica(PRIMARY, "p"),
                new GroupRequests.Replica(SECONDARY, "s"),
                Duration.ofMillis(500),
                null,
                null,
                null));
    assertThat(put.name()).isEqualTo("life");
    assertThat(put.epoch()).isEqualTo(3);
    assertThat(put.listen()).isEqualTo("127.0.0.1:" + port);
    assertThat(put.primary().vm()).isEqualTo("p");
    assertThat(put.secondary().agentUrl()).isEqualTo(SECONDARY);
    assertThat(put.compareTimeout()).isEqualTo(Duration.ofMillis(500));
    assertThat(put.limits().maxConnections()).isPositive();
    assertThat(client.servedEpoch(url, "life", TIMEOUT)).isEqualTo(3);
    assertThat(client.groupNames(url)).contains("life");
    assertThat(RoundTrip.of(JSON, http().get("/v1/groups"), GroupView[].class))
        .extracting(GroupView::name)
        .contains("life");

    GroupRequests.CommitResult commit =
        client.commit(
            url,
            "life",
            3,
            new CheckpointCommit(4, List.of(new Offset(1, 0L)), List.of(new Offset(1, 0L)), null));
    assertThat(commit.committedSequence()).isEqualTo(4);
    assertThat(committed("life")).isEqualTo(4);
    GroupRequests.CommitResult again =
        RoundTrip.of(
            JSON,
            http().post("/v1/groups/life/commits", "{\"epoch\":3,\"sequence\":5}"),
            GroupRequests.CommitResult.class);
    assertThat(again.committedSequence()).isEqualTo(5);
    assertThat(committed("life")).isEqualTo(5);

    GroupView failedOver =
        client.failover(url, "life", 4, new ProxyClient.Endpoint(SECONDARY, "s"));
    assertThat(failedOver.epoch()).isEqualTo(4);
    assertThat(failedOver.secondary()).isNull();
    assertThat(failedOver.state()).isEqualTo("UNPROTECTED");
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
        new GroupRequests.Sync(
            12L, List.of(new Offset(3, 40L)), List.of(new Offset(3, 10L)), List.of()),
        new GroupRequests.Resume(5, List.of(new Offset(3, 10L))));
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
    assertThat(client.checkListen(url, "127.0.0.1", port, TIMEOUT))
        .isEqualTo(new ListenFree("127.0.0.1", port, true));
    assertThat(
            RoundTrip.of(
                JSON,
                http()
                    .post("/v1/listen-checks", "{\"address\":\"127.0.0.1\",\"port\":" + port + "}"),
                ListenFree.class))
        .isEqualTo(new ListenFree("127.0.0.1", port, true));
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
