package dev.coloha.coordinator.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.coloha.api.ErrorKind;
import dev.coloha.api.mirror.VolumeRole;
import dev.coloha.api.mirror.VolumeStatus;
import dev.coloha.testkit.Http;
import dev.coloha.testkit.MiniCluster;
import dev.coloha.testkit.ServiceProcess;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.json.JsonMapper;

/**
 * The coordinator's {@link MirrorClient} against the real disk mirror (its executable jar, a
 * process on an ephemeral loopback port): volumes are created, re-protected, failed over and
 * deleted as the client asks, the mirror's answers are read into colo-api's {@link VolumeStatus}
 * (written back, the JSON the controller sent: {@link RoundTrip}), and refusals come back as their
 * {@link ErrorKind}.
 */
class MirrorClientContractIT {
  static final String TOKEN = "contract-token";
  static final Duration TIMEOUT = Duration.ofSeconds(5);
  static final long SIZE = 1 << 20;
  static final JsonMapper JSON = JsonMapper.builder().build();

  @RegisterExtension
  static final MiniCluster.PerClass cluster =
      MiniCluster.inTempDir("mirror-client-contract").token(TOKEN).mirror("mirror").perClass();

  static ServiceProcess mirror;
  static MirrorClient client;
  static String url;

  @BeforeAll
  static void client() {
    mirror = cluster.mirror("mirror");
    url = mirror.url();
    client = new MirrorClient(Remotes.of(TOKEN, TIMEOUT), TIMEOUT);
  }

  @Test
  void aVolumeIsCreatedReprotectedFailedOverAndDeletedAsTheClientAsks() {
    assertThat(client.ready(url, TIMEOUT)).isTrue();
    client.createVolume(url, "life-p", SIZE, "PRIMARY", 1);
    client.createVolume(url, "life-p", SIZE, "PRIMARY", 1); // there already: done
    client.createVolume(url, "life-s", SIZE, "SECONDARY", 1);
    assertThat(client.volumeIds(url)).contains("life-p", "life-s");
    VolumeStatus created = client.volumeState(url, "life-p");
    assertThat(created.id()).isEqualTo("life-p");
    assertThat(created.sizeBytes()).isEqualTo(SIZE);
    assertThat(created.role()).isEqualTo(VolumeRole.PRIMARY);
    assertThat(created.epoch()).isEqualTo(1);
    assertThat(created.state()).isEqualTo("UNPROTECTED");
    assertThat(RoundTrip.of(JSON, http().get("/v1/volumes"), VolumeStatus[].class))
        .extracting(VolumeStatus::id)
        .contains("life-p", "life-s");

    // the secondary may be on this same mirror: it is addressed by URL like any other
    client.resync(url, "life-p", url, "life-s");
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> client.volumeState(url, "life-p").state(), "REPLICATING"::equals);
    VolumeStatus replicating =
        RoundTrip.of(JSON, http().get("/v1/volumes/life-p"), VolumeStatus.class);
    assertThat(replicating.replication().secondaryVolume()).isEqualTo("life-s");
    assertThat(replicating.resync()).as("the resync's progress").isNotNull();

    client.failover(url, "life-s", 2);
    assertThat(client.volumeState(url, "life-s").state())
        .isIn("UNPROTECTED", "RESYNCING", "REPLICATING", "DEGRADED");

    client.deleteVolume(url, "life-p");
    client.deleteVolume(url, "life-s");
    client.deleteVolume(url, "life-s"); // gone already: done
    assertThat(client.volumeIds(url)).doesNotContain("life-p", "life-s");
  }

  static Http http() {
    return new Http(url, TOKEN);
  }

  @Test
  void refusalsComeBackAsTheirKind() {
    assertThatThrownBy(() -> client.volumeState(url, "no-such-volume"))
        .isInstanceOfSatisfying(
            RemoteException.class,
            e -> {
              assertThat(e.problemKind()).contains(ErrorKind.VOLUME_NOT_FOUND);
              assertThat(e.status()).isEqualTo(ErrorKind.VOLUME_NOT_FOUND.status());
            });
    client.createVolume(url, "fenced", SIZE, "SECONDARY", 5);
    assertThatThrownBy(() -> client.failover(url, "fenced", 4))
        .isInstanceOfSatisfying(
            RemoteException.class,
            e -> assertThat(e.answered(ErrorKind.STALE_EPOCH)).as(e.getMessage()).isTrue());
    client.deleteVolume(url, "fenced");
  }
}
