package dev.coloha.agent;

import static dev.coloha.testkit.Guests.wasm;
import static dev.coloha.testkit.Problems.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.testkit.Command;
import dev.coloha.testkit.Http;
import dev.coloha.testkit.Http.Reply;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.micrometer.metrics.test.autoconfigure.AutoConfigureMetrics;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/** The agent's REST API v1 on a real server, including every bad-input path. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureMetrics
class AgentApiIT {
  @TempDir static Path data;

  @DynamicPropertySource
  static void props(DynamicPropertyRegistry r) {
    r.add("colo.agent.data-dir", () -> data.toString());
    r.add("colo.agent.guest.max-module-size", () -> "512KB");
    r.add("colo.agent.vm.max-memory", () -> "128MB");
  }

  @LocalServerPort int port;
  Http api;

  @BeforeEach
  void client() {
    api = new Http("http://127.0.0.1:" + port);
  }

  @Test
  void vmLifecycleWithCheckpointFiles() {
    Reply guests = api.get("/v1/guests");
    assertThat(guests.body()).contains("\"kv\"", "\"http\"");
    assertThat(api.get("/v1/guests/kv").json().get("abiVersion").asInt()).isEqualTo(1);

    Reply created =
        api.post(
            "/v1/vms",
            "{\"id\":\"life\",\"guest\":\"kv\",\"memoryBytes\":33554432,\"diskBytes\":4194304}");
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    assertThat(created.json().get("state").asString()).isEqualTo("CREATED");

    JsonNode started = api.post("/v1/vms/life/start", "").json();
    assertThat(started.get("state").asString()).isEqualTo("RUNNING");
    assertThat(started.get("pages").asInt()).isPositive();
    assertThat(started.get("events").asLong()).isPositive(); // _initialize + colo_init

    Reply listen = api.post("/v1/vms/life/listener", "{\"port\":0}");
    assertThat(listen.status()).as(listen.body()).isEqualTo(200);
    String[] hostPort = listen.json().get("listener").asString().split(":");
    Command.Result set =
        Command.run(
            Duration.ofSeconds(20),
            "redis-cli",
            "-h",
            hostPort[0],
            "-p",
            hostPort[1],
            "SET",
            "greeting",
            "hello");
    assertThat(set.output().trim()).isEqualTo("OK");

    JsonNode status = api.get("/v1/vms/life").json();
    assertThat(status.get("dirtyPages").asInt()).isPositive();
    assertThat(status.get("guestTimeMillis").asDouble()).isPositive();

    Reply full = api.post("/v1/vms/life/checkpoints", "{\"file\":\"life-0.ckpt\",\"full\":true}");
    assertThat(full.status()).as(full.body()).isEqualTo(201);
    assertThat(full.json().get("baseSequence").asLong()).isEqualTo(-1);
    assertThat(full.json().get("pages").asInt()).isEqualTo(status.get("pages").asInt());
    // only what the guest's own timer touched since (a handful of pages at most)
    assertThat(api.get("/v1/vms/life").json().get("dirtyPages").asInt()).isLessThan(16);

    Command.run(
        Duration.ofSeconds(20),
        "redis-cli",
        "-h",
        hostPort[0],
        "-p",
        hostPort[1],
        "SET",
        "greeting",
        "changed");
    Reply delta = api.post("/v1/vms/life/checkpoints", "{\"file\":\"life-1.ckpt\"}");
    assertThat(delta.json().get("baseSequence").asLong())
        .isEqualTo(full.json().get("sequence").asLong());
    assertThat(delta.json().get("pages").asInt()).isLessThan(full.json().get("pages").asInt());

    // a second VM restored from the checkpoint files holds the same data. It has a disk like the
    // original: kv restored from the memory of a VM with a disk flushes its log within a second,
    // and without a disk it stops (the GET raced that stop)
    api.post(
        "/v1/vms",
        "{\"id\":\"copy\",\"guest\":\"kv\",\"memoryBytes\":33554432,\"diskBytes\":4194304}");
    assertThat(api.post("/v1/vms/copy/restore", "{\"file\":\"life-0.ckpt\"}").status())
        .isEqualTo(200);
    Reply applied = api.post("/v1/vms/copy/restore", "{\"file\":\"life-1.ckpt\"}");
    assertThat(applied.status()).as(applied.body()).isEqualTo(200);
    api.post("/v1/vms/copy/start", "");
    String[] copyAt =
        api.post("/v1/vms/copy/listener", "{\"port\":0}")
            .json()
            .get("listener")
            .asString()
            .split(":");
    assertThat(
            Command.run(Duration.ofSeconds(20), "redis-cli", "-p", copyAt[1], "GET", "greeting")
                .output()
                .trim())
        .isEqualTo("changed");

    // applying a delta twice breaks the chain: refused, nothing changed
    assertProblem(
        api.post("/v1/vms/copy/restore", "{\"file\":\"life-1.ckpt\"}"), 409, "checkpoint-mismatch");

    // stop, start: boots again from its disk image
    Reply stopped = api.post("/v1/vms/life/stop", "");
    assertThat(stopped.status()).as(stopped.body()).isEqualTo(200);
    assertThat(stopped.json().get("state").asString()).isEqualTo("STOPPED");
    Reply restarted = api.post("/v1/vms/life/start", "");
    assertThat(restarted.status()).as(restarted.body()).isEqualTo(200);
    assertThat(restarted.json().get("state").asString()).isEqualTo("RUNNING");
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () ->
                assertThat(
                        Command.run(
                                Duration.ofSeconds(10),
                                "redis-cli",
                                "-p",
                                hostPort[1],
                                "GET",
                                "greeting")
                            .output()
                            .trim())
                    .isEqualTo("changed"));

    assertThat(api.delete("/v1/vms/life").status()).isEqualTo(204);
    assertThat(api.delete("/v1/vms/copy").status()).isEqualTo(204);
    assertProblem(api.get("/v1/vms/life"), 404, "vm-not-found");
    assertThat(data.resolve("disks/life.img")).doesNotExist();
  }

  @Test
  void refusesBadGuestModulesWithProblemDetails() throws Exception {
    assertProblem(
        api.put("/v1/guests/junk", "application/wasm", "not wasm".getBytes()),
        422,
        "invalid-guest");
    assertProblem(
        api.put("/v1/guests/abi2", "application/wasm", wasm("testing/abi2.wasm")),
        422,
        "unsupported-abi");
    assertProblem(
        api.put("/v1/guests/wasi", "application/wasm", wasm("testing/wasi.wasm")),
        422,
        "invalid-guest");
    byte[] big = new byte[600 * 1024];
    Reply tooBig = api.put("/v1/guests/big", "application/wasm", big);
    assertProblem(tooBig, 422, "limit-exceeded");
    assertThat(tooBig.json().get("maximum").asLong()).isEqualTo(512 * 1024);
    byte[] kv = wasm("kv/kv.wasm");
    assertProblem(
        api.put("/v1/guests/half", "application/wasm", Arrays.copyOf(kv, kv.length / 2)),
        422,
        "invalid-guest");
    assertProblem(api.put("/v1/guests/Bad_Name", "application/wasm", kv), 422, "invalid-guest");
    assertProblem(api.get("/v1/guests/nosuch"), 404, "unknown-guest");

    Reply ok = api.put("/v1/guests/echo", "application/wasm", wasm("testing/trap.wasm"));
    assertThat(ok.status()).as(ok.body()).isEqualTo(201);
    assertThat(ok.json().get("sha256").asString()).hasSize(64);
  }

  @Test
  void refusesBadVmRequests() {
    assertProblem(api.post("/v1/vms", "{\"guest\":\"\"}"), 400, "invalid-field");
    assertThat(api.post("/v1/vms", "{not json").status()).isEqualTo(400);
    assertProblem(
        api.post("/v1/vms", "{\"guest\":\"kv\",\"memoryBytes\":1073741824}"), 400, "invalid-field");
    assertProblem(
        api.post("/v1/vms", "{\"guest\":\"kv\",\"diskBytes\":1000}"), 400, "invalid-field");
    assertProblem(api.post("/v1/vms", "{\"guest\":\"nosuch\"}"), 404, "unknown-guest");
    assertThat(api.post("/v1/vms", "{\"id\":\"dup\",\"guest\":\"http\",\"diskBytes\":0}").status())
        .isEqualTo(201);
    assertProblem(api.post("/v1/vms", "{\"id\":\"dup\",\"guest\":\"http\"}"), 409, "conflict");
    assertProblem(
        api.post("/v1/vms/dup/checkpoints", "{\"file\":\"../../etc/x\"}"), 400, "invalid-field");
    assertProblem(
        api.post("/v1/vms/dup/restore", "{\"file\":\"missing.ckpt\"}"),
        404,
        "checkpoint-file-not-found");
    assertThat(api.delete("/v1/vms/dup").status()).isEqualTo(204);
  }

  @Test
  void refusesMalformedAndTruncatedCheckpointFilesAndKeepsTheVm() throws Exception {
    api.post("/v1/vms", "{\"id\":\"ck\",\"guest\":\"kv\",\"diskBytes\":0,\"start\":true}");
    Reply good = api.post("/v1/vms/ck/checkpoints", "{\"file\":\"ck.ckpt\",\"full\":true}");
    assertThat(good.status()).isEqualTo(201);
    Path file = data.resolve("checkpoints/ck.ckpt");
    byte[] bytes = Files.readAllBytes(file);

    Files.write(data.resolve("checkpoints/garbage.ckpt"), "definitely not a checkpoint".getBytes());
    assertProblem(
        api.post("/v1/vms/ck/restore", "{\"file\":\"garbage.ckpt\"}"), 422, "corrupt-stream");

    Files.write(data.resolve("checkpoints/short.ckpt"), Arrays.copyOf(bytes, bytes.length - 100));
    assertProblem(
        api.post("/v1/vms/ck/restore", "{\"file\":\"short.ckpt\"}"), 422, "corrupt-stream");

    byte[] flipped = bytes.clone();
    flipped[bytes.length / 2] ^= 1;
    Files.write(data.resolve("checkpoints/flipped.ckpt"), flipped);
    assertProblem(
        api.post("/v1/vms/ck/restore", "{\"file\":\"flipped.ckpt\"}"), 422, "corrupt-stream");

    api.post("/v1/vms", "{\"id\":\"other\",\"guest\":\"http\",\"diskBytes\":0}");
    assertProblem(
        api.post("/v1/vms/other/restore", "{\"file\":\"ck.ckpt\"}"), 409, "checkpoint-mismatch");

    assertThat(api.get("/v1/vms/ck").json().get("state").asString()).isEqualTo("RUNNING");
    assertThat(api.post("/v1/vms/ck/restore", "{\"file\":\"ck.ckpt\"}").status()).isEqualTo(200);
    api.delete("/v1/vms/ck");
    api.delete("/v1/vms/other");
  }

  @Test
  void aTrappingGuestCrashesAloneAndTheAgentKeepsServing() throws Exception {
    api.put("/v1/guests/trap", "application/wasm", wasm("testing/trap.wasm"));
    api.post("/v1/vms", "{\"id\":\"victim\",\"guest\":\"trap\",\"diskBytes\":0,\"start\":true}");
    api.post("/v1/vms", "{\"id\":\"bystander\",\"guest\":\"kv\",\"diskBytes\":0,\"start\":true}");
    String victimPort =
        api.post("/v1/vms/victim/listener", "{\"port\":0}")
            .json()
            .get("listener")
            .asString()
            .split(":")[1];
    String kvPort =
        api.post("/v1/vms/bystander/listener", "{\"port\":0}")
            .json()
            .get("listener")
            .asString()
            .split(":")[1];

    Command.run(
        Duration.ofSeconds(10),
        "bash",
        "-c",
        "printf 'crash\\n' | timeout 5 bash -c 'cat > /dev/tcp/127.0.0.1/" + victimPort + "'");
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(api.get("/v1/vms/victim").json().get("state").asString())
                    .isEqualTo("CRASHED"));
    assertThat(api.get("/v1/vms/victim").json().get("crash").asString()).contains("trapped");
    assertProblem(api.post("/v1/vms/victim/checkpoints", "{\"file\":\"v.ckpt\"}"), 409, "vm-state");

    assertThat(
            Command.run(Duration.ofSeconds(10), "redis-cli", "-p", kvPort, "PING").output().trim())
        .isEqualTo("PONG");
    Reply metrics = api.get("/actuator/prometheus");
    assertThat(metrics.body()).contains("colo_vm_crashed{", "colo_api_rejected_total{");
    api.delete("/v1/vms/victim");
    api.delete("/v1/vms/bystander");
  }

  @Test
  void exportsVmMetrics() {
    api.post("/v1/vms", "{\"id\":\"metered\",\"guest\":\"kv\",\"diskBytes\":0,\"start\":true}");
    api.post("/v1/vms/metered/checkpoints", "{\"file\":\"m.ckpt\",\"full\":true}");
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(api.get("/actuator/prometheus").body())
                    .contains(
                        "colo_vm_events_total{",
                        "colo_vm_guest_cpu_seconds_total{",
                        "colo_vm_dirty_pages{",
                        "colo_vm_memory_pages{",
                        "colo_checkpoint_capture_seconds_count{",
                        "colo_checkpoint_pages_count{"));
    api.delete("/v1/vms/metered");
  }
}
