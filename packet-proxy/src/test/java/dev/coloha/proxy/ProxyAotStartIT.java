package dev.coloha.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.testkit.HeartbeatReceiver;
import dev.coloha.testkit.Http;
import dev.coloha.testkit.ServiceProcess;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The packaged proxy as the lab and the image start it: its exec jar in Spring's AOT mode ({@code
 * -Dspring.aot.enabled=true}, the bean definitions its build's {@code process-aot} generated) with
 * the lab's properties. Build-time AOT fixes every condition with the build's properties, where no
 * coordinator URL is set: the proxy must still register by heartbeat with the coordinator given at
 * run time, keep the token given at run time, and serve a group it is given.
 */
class ProxyAotStartIT {
  private static final String TOKEN = "aot-token";

  @TempDir Path dir;

  @Test
  void thePackagedProxyInAotModeRegistersAndServesAGroup() throws Exception {
    try (HeartbeatReceiver coordinator = HeartbeatReceiver.start();
        ServiceProcess proxy =
            ServiceProcess.proxy(
                dir.resolve("proxy.log"),
                List.of("-Dspring.aot.enabled=true"),
                "--colo.security.token=" + TOKEN,
                "--colo.heartbeat.coordinator-url=" + coordinator.url(),
                "--colo.heartbeat.host=proxy-1",
                "--colo.heartbeat.role=proxy")) {
      assertThat(proxy.log()).contains("Starting AOT-processed PacketProxyApplication");

      String beat = coordinator.next(Duration.ofSeconds(60));
      assertThat(beat)
          .as("the heartbeat, configured at run time only")
          .isNotNull()
          .startsWith("/v1/hosts/proxy-1/heartbeat ")
          .contains("\"role\":\"proxy\"", "\"url\":\"" + proxy.url() + "\"")
          .endsWith("Bearer " + TOKEN);

      assertThat(Http.loopback(proxy.port(), null).get("/v1/groups").status())
          .as("the token given at run time is required")
          .isEqualTo(401);
      assertThat(Http.loopback(proxy.port(), "wrong").get("/v1/groups").status()).isEqualTo(401);
      Http api = Http.loopback(proxy.port(), TOKEN);
      assertThat(api.get("/actuator/health/readiness").status()).isEqualTo(200);

      Http.Reply put =
          api.put(
              "/v1/groups/aot",
              """
              {"epoch":3,"listen":{"address":"127.0.0.1","port":0},
               "primary":{"agentUrl":"http://127.0.0.1:9","vm":"aot"},
               "secondary":{"agentUrl":"http://127.0.0.1:10","vm":"aot"},
               "sync":{"sequence":1,"outputOffsets":[],"inputOffsets":[],"closedConnections":[]}}
              """);
      assertThat(put.status()).as(put.body()).isEqualTo(201);
      JsonNode group = api.get("/v1/groups/aot").json();
      assertThat(group.get("epoch").asLong()).isEqualTo(3);
      String listen = group.get("listen").asString();
      int port = Integer.parseInt(listen.substring(listen.lastIndexOf(':') + 1));
      assertThat(port).isPositive();
      try (Socket client = new Socket("127.0.0.1", port)) {
        assertThat(client.isConnected()).as("the group's listener accepts clients").isTrue();
      }
      assertThat(api.get("/v1/groups").json().findValuesAsString("name")).contains("aot");
    }
  }
}
