package dev.coloha.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.testkit.Command;
import dev.coloha.testkit.Http;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** Real clients (redis-cli, redis-benchmark, curl) against standalone VMs of the agent. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StandaloneClientsIT {
  @DynamicPropertySource
  static void props(DynamicPropertyRegistry r) throws java.io.IOException {
    Path data = java.nio.file.Files.createTempDirectory("standalone-clients");
    r.add("colo.agent.data-dir", data::toString);
  }

  @LocalServerPort int port;
  String kvPort;
  String httpPort;

  @BeforeAll
  void vms() {
    Http api = new Http("http://127.0.0.1:" + port);
    api.post("/v1/vms", "{\"id\":\"kv\",\"guest\":\"kv\",\"start\":true}");
    kvPort =
        api.post("/v1/vms/kv/listener", "{\"port\":0}")
            .json()
            .get("listener")
            .asString()
            .split(":")[1];
    api.post("/v1/vms", "{\"id\":\"web\",\"guest\":\"http\",\"diskBytes\":0,\"start\":true}");
    httpPort =
        api.post("/v1/vms/web/listener", "{\"port\":0}")
            .json()
            .get("listener")
            .asString()
            .split(":")[1];
  }

  private String cli(String... args) {
    String[] argv = new String[args.length + 3];
    argv[0] = "redis-cli";
    argv[1] = "-p";
    argv[2] = kvPort;
    System.arraycopy(args, 0, argv, 3, args.length);
    Command.Result r = Command.run(Duration.ofSeconds(20), argv);
    assertThat(r.exit()).as(r.output()).isZero();
    return r.output().trim();
  }

  @Test
  void redisCliCommands() {
    assertThat(cli("PING")).isEqualTo("PONG");
    assertThat(cli("SET", "user:1", "ada")).isEqualTo("OK");
    assertThat(cli("SET", "user:2", "grace")).isEqualTo("OK");
    assertThat(cli("GET", "user:1")).isEqualTo("ada");
    assertThat(cli("INCR", "visits")).isEqualTo("1");
    assertThat(cli("INCR", "visits")).isEqualTo("2");
    assertThat(cli("EXPIRE", "user:2", "100")).isEqualTo("1");
    assertThat(Integer.parseInt(cli("TTL", "user:2"))).isBetween(98, 100);
    assertThat(cli("TTL", "user:1")).isEqualTo("-1");
    assertThat(cli("KEYS", "user:*").lines().sorted()).containsExactly("user:1", "user:2");
    assertThat(cli("KEYS", "v?sits")).isEqualTo("visits");
    assertThat(cli("GET", "nosuch")).isEmpty();
    assertThat(cli("NOSUCHCMD")).startsWith("ERR unknown command");
    assertThat(cli("GET")).startsWith("ERR wrong number of arguments");
  }

  @Test
  void redisBenchmarkFinishesWithNoErrors() {
    Command.Result r =
        Command.run(
            Duration.ofMinutes(5),
            "redis-benchmark",
            "-p",
            kvPort,
            "-t",
            "ping,set,get,incr,mset",
            "-n",
            "100000",
            "-P",
            "16",
            "-q");
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).doesNotContainIgnoringCase("error");
    for (String test : new String[] {"PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "MSET"}) {
      assertThat(r.output()).as(r.output()).containsPattern(test + "[^\\n]*requests per second");
    }
  }

  @Test
  void curlKeepsTheConnectionAlive() {
    String base = "http://127.0.0.1:" + httpPort;
    Command.Result r =
        Command.run(
            Duration.ofSeconds(20),
            "curl",
            "-sv",
            base + "/",
            base + "/counter",
            base + "/counter",
            base + "/time");
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).contains("Re-using existing connection");
    assertThat(r.output()).contains("< HTTP/1.1 200", "< Date: ");
    Command.Result missing =
        Command.run(
            Duration.ofSeconds(20),
            "curl",
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            base + "/nope");
    assertThat(missing.output()).isEqualTo("404");
    Command.Result post =
        Command.run(
            Duration.ofSeconds(20),
            "curl",
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-d",
            "x=1",
            base + "/counter");
    assertThat(post.output()).isEqualTo("405");
  }
}
