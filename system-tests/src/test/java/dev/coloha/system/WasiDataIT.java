package dev.coloha.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.testkit.Command;
import dev.coloha.testkit.Ports;
import dev.coloha.testkit.Resp;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;

/**
 * kv-wasi (the kv guest as an ordinary WASI program) in a group with a disk: its append-only log is
 * the file {@code /data/colo-disk} on the VM's replicated disk (docs/guest-abi.md, "Files under
 * /data"). SETs under {@code appendfsync always} (each reply after an fsync), then {@code kill -9}
 * of the primary's agent: every acknowledged key is read back from the promoted secondary, whose
 * log on {@code /data} goes on growing, and the new primary's volume holds the data file system
 * with the keys in it. Then both hosts of the group lose their agents and their mirrors ({@code
 * kill -9}) and are started again: every acknowledged key is on the group's volumes, the
 * coordinator restarts the group from the last primary's volume (a new VM booting from it, in a new
 * epoch) and re-protects it, and redis-cli reads every acknowledged key back through the proxy
 * (docs/coordinator.md, "both replicas lost").
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Tag("long") // ./colo test --long (CI runs it after ./colo test): docs/testing.md
class WasiDataIT {
  private static final long DISK = 64L << 20;
  private static Lab lab;
  private static int port;
  private static final List<String> acked = new ArrayList<>();

  @BeforeAll
  static void upWithAWasiKvOnADisk() throws Exception {
    lab = Lab.withoutGroups("lab-wasi-data", 3);
    JsonNode uploaded =
        Lab.JSON.readTree(
            lab.putWasm(
                lab.coordinatorUrl() + "/v1/guests/kv-wasi",
                Files.readAllBytes(Lab.ROOT.resolve("guests/kv/kv-wasi.wasm"))));
    assertThat(uploaded.get("abi").asString()).isEqualTo("wasi-p1");
    port = Ports.free();
    lab.post(
        lab.coordinatorUrl() + "/v1/groups",
        "{\"id\":\"wdata\",\"guest\":\"kv-wasi\",\"port\":"
            + port
            + ",\"diskBytes\":"
            + DISK
            + "}");
    lab.awaitProtected("wdata", Duration.ofMinutes(3));
  }

  @AfterAll
  static void down() throws Exception {
    if (lab != null) {
      lab.down();
    }
  }

  private static void set(Resp r, String prefix, int n) throws Exception {
    for (int i = 0; i < n; i++) {
      String key = prefix + i;
      assertThat(r.call("SET", key, "v-" + key)).isEqualTo("OK");
      acked.add(key);
    }
  }

  private static String info(Resp r) throws Exception {
    return String.valueOf(r.call("INFO", "persistence"));
  }

  private static long logLength(String info) {
    return info.lines()
        .filter(l -> l.startsWith("aof_current_size:") || l.startsWith("aof_log_len:"))
        .mapToLong(l -> Long.parseLong(l.substring(l.indexOf(':') + 1).trim()))
        .findFirst()
        .orElse(-1);
  }

  /** The group's volume image(s) on a host's mirror. */
  private static List<Path> images(String host) throws Exception {
    try (Stream<Path> s = Files.walk(lab.dir.resolve(host).resolve("mirror"))) {
      return s.filter(p -> p.getFileName().toString().equals("base.img")).toList();
    }
  }

  private static boolean holds(Path image, List<String> keys) throws Exception {
    String bytes = new String(Files.readAllBytes(image), StandardCharsets.ISO_8859_1);
    if (!bytes.startsWith("COLOFS01") && !bytes.substring(512).startsWith("COLOFS01")) {
      return false;
    }
    for (String k : keys) {
      if (!bytes.contains("v-" + k)) {
        return false;
      }
    }
    return true;
  }

  private static void killQuietly(String service) {
    try {
      lab.kill(service);
    } catch (Exception e) {
      throw new IllegalStateException("kill " + service, e);
    }
  }

  @Test
  @Order(1)
  void failoverKeepsEveryAcknowledgedKeyAndTheLogOnData() throws Exception {
    JsonNode g = lab.awaitProtected("wdata", Duration.ofMinutes(2));
    String primary = g.get("primary").get("host").asString();
    long epoch = g.get("epoch").asLong();
    long before;
    try (Resp r = new Resp("127.0.0.1", port, 60_000)) {
      assertThat(r.call("CONFIG", "SET", "appendfsync", "always")).isEqualTo("OK");
      set(r, "a", 300);
      String info = info(r);
      assertThat(info).contains("aof_enabled:1");
      before = logLength(info);
    }
    lab.kill(primary + "/agent");
    await()
        .atMost(Duration.ofMinutes(2))
        .until(() -> lab.group("wdata").get("epoch").asLong() > epoch);
    try (Resp r = new Resp("127.0.0.1", port, 60_000)) {
      for (String key : acked) {
        assertThat(r.call("GET", key)).as(key).isEqualTo("v-" + key);
      }
      set(r, "b", 100);
      String info = info(r);
      assertThat(info).contains("aof_enabled:1");
      assertThat(logLength(info)).as("the log on /data grows on").isGreaterThan(before);
    }
    String promoted = lab.group("wdata").get("primary").get("host").asString();
    assertThat(promoted).isNotEqualTo(primary);
    assertThat(images(promoted))
        .as("the promoted primary's volume holds the file system and every key")
        .anySatisfy(img -> assertThat(holds(img, acked)).isTrue());
    lab.start(primary + "/agent");
    lab.awaitProtected("wdata", Duration.ofMinutes(3));
  }

  @Test
  @Order(2)
  void everyAcknowledgedKeyIsReadBackAfterBothHostsAreKilledAndStarted() throws Exception {
    JsonNode g = lab.awaitProtected("wdata", Duration.ofMinutes(2));
    String primary = g.get("primary").get("host").asString();
    String secondary = g.get("secondary").get("host").asString();
    try (Resp r = new Resp("127.0.0.1", port, 60_000)) {
      set(r, "c", 200);
    }
    // all four at once: the coordinator must not get the time to fail over between two kills
    List<Thread> kills = new ArrayList<>();
    for (String host : List.of(primary, secondary)) {
      for (String role : List.of("/agent", "/mirror")) {
        kills.add(Thread.ofPlatform().start(() -> killQuietly(host + role)));
      }
    }
    for (Thread t : kills) {
      t.join(Duration.ofMinutes(2));
    }
    long t0 = System.nanoTime();
    for (String host : List.of(primary, secondary)) {
      lab.start(host + "/mirror");
      lab.start(host + "/agent");
    }
    List<Path> all = new ArrayList<>();
    for (String host : List.of("host-1", "host-2", "host-3")) {
      all.addAll(images(host));
    }
    assertThat(all)
        .as("a volume of the group, after a restart of both hosts, holds every acknowledged key")
        .anySatisfy(img -> assertThat(holds(img, acked)).isTrue());
    // the coordinator restarts the group from the last primary's volume (docs/coordinator.md,
    // "both replicas lost"): a new primary VM on it in a new epoch, then a new secondary
    long before = g.get("epoch").asLong();
    await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> {
              JsonNode now;
              try {
                now = lab.group("wdata");
              } catch (Exception e) {
                return false; // the coordinator busy or restarting its client: ask again
              }
              assertThat(now.get("state").asString()).as(now.toString()).isNotEqualTo("FAILED");
              return now.get("state").asString().equals("PROTECTED")
                  && now.get("epoch").asLong() > before;
            });
    long seconds = Duration.ofNanos(System.nanoTime() - t0).toSeconds();
    JsonNode after = lab.group("wdata");
    assertThat(after.get("primary").get("host").asString())
        .as("restarted on the last primary's host, from its volume")
        .isEqualTo(primary);
    // every acknowledged key, read back through the proxy by redis-cli (one connection, pipelined)
    Path commands = lab.dir.resolve("wdata-get.txt");
    StringBuilder gets = new StringBuilder();
    for (String key : acked) {
      gets.append("GET ").append(key).append('\n');
    }
    Files.writeString(commands, gets.toString());
    Command.Result read =
        Command.run(
                Duration.ofSeconds(90),
                Map.of(),
                List.of("sh", "-c", "redis-cli -p " + port + " < " + commands))
            .requireOk();
    List<String> values = read.out().lines().toList();
    assertThat(values).hasSize(acked.size());
    for (int i = 0; i < acked.size(); i++) {
      assertThat(values.get(i)).as(acked.get(i)).isEqualTo("v-" + acked.get(i));
    }
    System.out.println(
        "after both hosts were killed and started: PROTECTED again in epoch "
            + after.get("epoch").asLong()
            + " within "
            + seconds
            + " s of the kills (both hosts' services started again meanwhile); "
            + acked.size()
            + " acknowledged keys read back through the proxy");
  }
}
