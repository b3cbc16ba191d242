package dev.coloha.system;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.testkit.Command;
import dev.coloha.testkit.Resp;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;

/**
 * The kv and http guests built as ordinary WASI programs from their own sources ({@code
 * guests/kv/kv-wasi.wasm}, {@code guests/http/http-wasi.wasm}: plain modules as clang writes them,
 * POSIX sockets on {@code COLO_LISTEN_FD}), uploaded to the coordinator's guest library, which
 * instruments them, and protected as groups. Real clients through the proxy: redis-cli and
 * redis-benchmark against kv, curl and wrk against http; then {@code kill -9} of kv's primary agent
 * under a SET load, after which every acknowledged write is read back.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Tag("long") // ./colo test --long (CI runs it after ./colo test): docs/testing.md
class WasiProgramsIT {
  private static final int WRITERS = 2;
  private static Lab lab;
  private static int kvPort;
  private static int httpPort;

  @BeforeAll
  static void upWithBothWasiGroups() throws Exception {
    lab = Lab.withoutGroups("lab-wasi-programs", 3);
    kvPort = protect("kv-wasi", "guests/kv/kv-wasi.wasm", "wkv");
    httpPort = protect("http-wasi", "guests/http/http-wasi.wasm", "whttp");
    lab.awaitProtected("wkv", Duration.ofMinutes(3));
    lab.awaitProtected("whttp", Duration.ofMinutes(3));
  }

  @AfterAll
  static void down() throws Exception {
    if (lab != null) {
      lab.down();
    }
  }

  /** Uploads the plain module as guest {@code name} and creates group {@code id}; its port. */
  private static int protect(String name, String module, String id) throws Exception {
    assertThat(lab.uploadGuest(name, module).get("abi").asString()).isEqualTo("wasi-p1");
    return lab.protect(id, name);
  }

  private static Command.Result run(String... command) throws Exception {
    return Command.run(Duration.ofSeconds(90), Map.of(), List.of(command)).requireOk();
  }

  @Test
  @Order(1)
  void redisCliAndRedisBenchmarkWorkAgainstTheWasiKv() throws Exception {
    String p = Integer.toString(kvPort);
    long epoch = lab.awaitProtected("wkv", Duration.ofMinutes(1)).get("epoch").asLong();
    assertThat(run("redis-cli", "-p", p, "SET", "wasi-key", "hello").out().trim()).isEqualTo("OK");
    assertThat(run("redis-cli", "-p", p, "GET", "wasi-key").out().trim()).isEqualTo("hello");
    assertThat(run("redis-cli", "-p", p, "INCR", "wasi-n").out().trim()).isEqualTo("1");

    Command.Result bench =
        run(
            "redis-benchmark",
            "-p",
            p,
            "-t",
            "set,get",
            "-n",
            "2000",
            "-c",
            "10",
            "-r",
            "500",
            "--csv");
    System.out.println("redis-benchmark against the WASI kv through the proxy:\n" + bench.out());
    assertThat(bench.out() + bench.err()).doesNotContainIgnoringCase("error");
    List<String> rows = bench.out().lines().filter(l -> l.startsWith("\"")).skip(1).toList();
    assertThat(rows).extracting(r -> r.split(",")[0]).contains("\"SET\"", "\"GET\"");
    for (String row : rows) {
      assertThat(Double.parseDouble(row.split(",")[1].replace("\"", ""))).as(row).isPositive();
    }
    assertThat(run("redis-cli", "-p", p, "GET", "wasi-key").out().trim()).isEqualTo("hello");
    assertThat(lab.group("wkv").get("epoch").asLong())
        .as("no failover: the WASI kv's primary did not crash under the benchmark")
        .isEqualTo(epoch);
  }

  @Test
  @Order(2)
  void curlAndWrkWorkAgainstTheWasiHttp() throws Exception {
    String base = "http://127.0.0.1:" + httpPort;
    assertThat(run("curl", "-sS", "--max-time", "20", base + "/").out())
        .contains("<h1>COLO HA</h1>");
    long first =
        Long.parseLong(run("curl", "-sS", "--max-time", "20", base + "/counter").out().trim());
    String headers = run("curl", "-sS", "-i", "--max-time", "20", base + "/counter").out();
    assertThat(headers).startsWith("HTTP/1.1 200 OK").contains("Server: colo-http/1");
    assertThat(headers.strip()).endsWith(Long.toString(first + 1));
    assertThat(run("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", base + "/nope").out())
        .isEqualTo("404");

    Command.Result wrk = run("wrk", "-t1", "-c4", "-d3s", base + "/counter");
    System.out.println("wrk against the WASI http through the proxy:\n" + wrk.out());
    assertThat(wrk.out())
        .contains("Requests/sec")
        .doesNotContain("Non-2xx")
        .doesNotContain("Socket errors");
    long after =
        Long.parseLong(run("curl", "-sS", "--max-time", "20", base + "/counter").out().trim());
    assertThat(after).isGreaterThan(first + 2);
  }

  @Test
  @Order(3)
  void killingTheWasiKvPrimaryUnderLoadLosesNoAcknowledgedWrite() throws Exception {
    JsonNode g = lab.awaitProtected("wkv", Duration.ofMinutes(2));
    String killed = g.get("primary").get("host").asString() + "/agent";
    long epoch = g.get("epoch").asLong();
    ConcurrentLinkedQueue<String> acked = new ConcurrentLinkedQueue<>();
    Lab.Load load =
        lab.killUnderLoad(
            killed,
            WRITERS,
            100,
            200,
            () -> new Resp("127.0.0.1", kvPort, 60_000),
            (r, writer, i) -> {
              String key = "load-" + writer + "-" + i;
              Object reply = r.call("SET", key, "v" + i);
              if (!"OK".equals(reply)) {
                throw new IOException(key + ": " + reply);
              }
              acked.add(key);
            });
    assertThat(load.errors()).as("error replies or broken connections").isEmpty();
    try (Resp r = new Resp("127.0.0.1", kvPort, 60_000)) {
      for (String key : acked) {
        assertThat(r.call("GET", key))
            .as("acknowledged write %s", key)
            .isEqualTo("v" + key.substring(key.lastIndexOf('-') + 1));
      }
      assertThat(r.call("GET", "wasi-key")).isEqualTo("hello");
    }
    JsonNode after = lab.awaitProtected("wkv", Duration.ofMinutes(2));
    assertThat(after.get("epoch").asLong()).isGreaterThan(epoch);
    System.out.println(
        acked.size() + " acknowledged SETs, all read back after kill -9 of " + killed);
    lab.start(killed);
  }
}
