package dev.coloha.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.testkit.Http;
import dev.coloha.testkit.spring.ServiceOnRandomPort;
import dev.coloha.testkit.spring.TemporaryDataDir;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

/**
 * Commands validate, then change: a replication command the agent refuses leaves the VM as it was.
 * Above all its epoch: a refused command in a newer epoch must not fence the VM's current streams.
 */
@TemporaryDataDir("colo.agent.data-dir")
@TestPropertySource(properties = "colo.security.token=refusal-token")
class RefusedCommandsChangeNothingIT extends ServiceOnRandomPort {
  private void createVm(String id, boolean start) {
    assertThat(
            api.json(
                    "POST",
                    "/v1/vms",
                    "{\"id\":\""
                        + id
                        + "\",\"guest\":\"kv\",\"diskBytes\":0,\"start\":"
                        + start
                        + "}")
                .status())
        .isEqualTo(201);
  }

  private long epoch(String id) {
    Http.Reply r = api.get("/v1/vms/" + id + "/replication");
    assertThat(r.status()).isEqualTo(200);
    return r.json().get("epoch").asLong();
  }

  @Test
  void aCheckpointRefusedToAVmThatIsNoPrimaryKeepsItsEpoch() {
    createVm("not-primary", true);
    long before = epoch("not-primary");

    Http.Reply r =
        api.json("POST", "/v1/vms/not-primary/checkpoint", "{\"epoch\":" + (before + 7) + "}");

    assertThat(r.status()).isBetween(400, 499);
    assertThat(epoch("not-primary")).isEqualTo(before);
  }

  @Test
  void becomingPrimaryRefusedToAStoppedVmKeepsItsEpoch() {
    createVm("not-started", false);
    long before = epoch("not-started");

    Http.Reply r =
        api.json(
            "POST",
            "/v1/vms/not-started/primary",
            "{\"epoch\":"
                + (before + 3)
                + ",\"secondary\":{\"agentUrl\":\"http://127.0.0.1:1\",\"vm\":\"s\"}}");

    assertThat(r.status()).isEqualTo(409);
    assertThat(epoch("not-started")).isEqualTo(before);
  }

  @Test
  void becomingSecondaryRefusedToAStandaloneVmKeepsItsEpochAndItsListener() {
    createVm("standalone", true);
    Http.Reply listening =
        api.json(
            "POST", "/v1/vms/standalone/listener", "{\"bindAddress\":\"127.0.0.1\",\"port\":0}");
    assertThat(listening.status()).isBetween(200, 201);
    long before = epoch("standalone");

    Http.Reply r =
        api.json("POST", "/v1/vms/standalone/secondary", "{\"epoch\":" + (before + 2) + "}");

    assertThat(r.status()).isEqualTo(409);
    assertThat(epoch("standalone")).isEqualTo(before);
    assertThat(api.get("/v1/vms/standalone/replication").json().get("role").asString())
        .isNotEqualTo("SECONDARY");
  }

  @Test
  void aStartRefusedBecauseTheVmsPortIsTakenLeavesItStoppedAndItListensAtTheNextStart()
      throws IOException {
    createVm("served", true);
    int port;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort();
    }
    assertThat(
            api.json(
                    "POST",
                    "/v1/vms/served/listener",
                    "{\"bindAddress\":\"127.0.0.1\",\"port\":" + port + "}")
                .status())
        .isBetween(200, 201);
    assertThat(api.json("POST", "/v1/vms/served/stop", "{}").status()).isEqualTo(200);

    try (ServerSocket squatter = new ServerSocket()) {
      squatter.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      Http.Reply refused = api.json("POST", "/v1/vms/served/start", "{}");
      assertThat(refused.status()).isEqualTo(409);
      assertThat(api.get("/v1/vms/served").json().get("state").asString()).isEqualTo("STOPPED");
    }

    assertThat(api.json("POST", "/v1/vms/served/start", "{}").status()).isEqualTo(200);
    assertThat(api.get("/v1/vms/served").json().get("state").asString()).isEqualTo("RUNNING");
    try (Socket client = new Socket()) {
      client.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
      assertThat(client.isConnected()).as("it serves its port again").isTrue();
    }
  }
}
