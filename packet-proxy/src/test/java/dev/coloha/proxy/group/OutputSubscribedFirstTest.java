package dev.coloha.proxy.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.api.proxy.GroupLimits;
import dev.coloha.proxy.testing.GroupRig;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * A group accepts its first client only once both replicas' agents have taken this proxy as their
 * VMs' output subscriber. Before that, an agent writes a new connection's reply to the subscriber
 * it had: after a standby's takeover or a restart, the dead proxy, where the reply is lost and the
 * connection waits forever (chaos round 97, docs/benchmarks.md).
 */
class OutputSubscribedFirstTest {
  private static final long EPOCH = 3;

  private static GroupSpec spec(GroupRig rig, int port) {
    return new GroupSpec(
        "kv",
        EPOCH,
        "127.0.0.1",
        port,
        GroupSpec.Mode.COLO,
        rig.replica("p"),
        rig.replica("s"),
        Duration.ofMinutes(10),
        new GroupLimits(1 << 20, 1 << 24, 1 << 20, 1 << 24, 100),
        new Commit(EPOCH, 4, Map.of(), Map.of(), Set.of()),
        null);
  }

  @Test
  void noClientReachesTheReplicasBeforeThePrimarysOutputIsSubscribedTo() throws Exception {
    try (GroupRig rig = new GroupRig()) {
      Groups groups = rig.groups(Map.of("colo.proxy.stream.connect-timeout", "30s"));
      Runnable release = rig.agent.holdOutput("p");
      int port;
      try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
        port = free.getLocalPort();
      }
      CompletableFuture<Void> put = CompletableFuture.runAsync(() -> groups.put(spec(rig, port)));
      // the group's port is bound (a connect succeeds) while the primary's agent has not taken the
      // subscription yet
      Socket client =
          await()
              .atMost(Duration.ofSeconds(30))
              .ignoreExceptions()
              .until(() -> rig.client(port), java.util.Objects::nonNull);
      OutputStream out = client.getOutputStream();
      out.write("*1\r\n$4\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      await()
          .during(Duration.ofMillis(500))
          .atMost(Duration.ofSeconds(5))
          .until(() -> rig.agent.opened("p").isEmpty() && rig.agent.opened("s").isEmpty());
      assertThat(put).isNotDone();

      release.run();
      put.get();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> rig.agent.opened("p").contains(1) && rig.agent.opened("s").contains(1));
    }
  }
}
