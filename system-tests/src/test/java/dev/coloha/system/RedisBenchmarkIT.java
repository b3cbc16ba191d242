package dev.coloha.system;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.testkit.Command;
import dev.coloha.testkit.Resp;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Must show 1: the real redis-benchmark through the proxy of a protected group, zero errors. */
class RedisBenchmarkIT {

  @Test
  void redisBenchmarkThroughTheProxyOfAProtectedGroupHasNoErrors() throws Exception {
    Lab lab = Lab.shared();
    lab.awaitProtected("kv", Duration.ofMinutes(3));
    long before = lab.coordinatorGroup("kv").get("lastCheckpoint").asLong();

    Command.Result bench =
        Command.run(
                Duration.ofMinutes(4),
                Map.of(),
                List.of(
                    "redis-benchmark",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    Integer.toString(lab.kvPort),
                    "-t",
                    "ping,set,get,incr,mset",
                    "-n",
                    "3000",
                    "-c",
                    "10",
                    "-r",
                    "1000",
                    "--csv"))
            .requireOk();

    String all = bench.out() + bench.err();
    assertThat(all).doesNotContainIgnoringCase("error").doesNotContain("ERR");
    List<String> tests =
        bench.out().lines().filter(l -> l.startsWith("\"")).map(l -> l.split(",")[0]).toList();
    assertThat(tests).contains("\"SET\"", "\"GET\"", "\"INCR\"", "\"MSET (10 keys)\"");
    for (String row : bench.out().lines().skip(1).toList()) {
      double rps = Double.parseDouble(row.split(",")[1].replace("\"", ""));
      assertThat(rps).as(row).isPositive();
    }

    // the service is still consistent and protected: what was written is read back, and the
    // proxy's mismatches (TIME-free commands do not diverge) did not break the pair
    try (Resp c = new Resp("127.0.0.1", lab.kvPort, 10_000)) {
      assertThat(c.call("SET", "after-benchmark", "ok")).isEqualTo("OK");
      assertThat(c.call("GET", "after-benchmark")).isEqualTo("ok");
      assertThat((Long) c.call("DBSIZE")).isGreaterThan(1);
    }
    assertThat(lab.group("kv").get("state").asString()).isEqualTo("PROTECTED");
    lab.post(lab.coordinatorUrl() + "/v1/groups/kv/checkpoint", "{}");
    assertThat(lab.coordinatorGroup("kv").get("lastCheckpoint").asLong()).isGreaterThan(before);
  }
}
