package dev.coloha.agent;

import static dev.coloha.testkit.Guests.wasm;
import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.testkit.Http.Reply;
import dev.coloha.testkit.spring.ServiceOnRandomPort;
import dev.coloha.testkit.spring.TemporaryDataDir;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * A plain wasm32-wasi module, as clang writes it, uploaded to the agent: instrumented with Asyncify
 * by wasm-opt on upload, run as a VM that real TCP clients talk to, checkpointed while blocked and
 * restored into a second VM that carries on where the first was.
 */
@TemporaryDataDir("colo.agent.data-dir")
class WasiGuestIT extends ServiceOnRandomPort {
  private String listen(String vm) {
    Reply listen = api.post("/v1/vms/" + vm + "/listener", "{\"port\":0}");
    assertThat(listen.status()).as(listen.body()).isEqualTo(200);
    return listen.json().get("listener").asString();
  }

  /** Sends lines on one connection and reads as many answers. */
  private static String[] converse(String hostPort, String... lines) throws Exception {
    String[] hp = hostPort.split(":");
    try (Socket s = new Socket(hp[0], Integer.parseInt(hp[1]))) {
      s.setSoTimeout(20_000);
      OutputStream out = s.getOutputStream();
      BufferedReader in =
          new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      String[] answers = new String[lines.length];
      for (int i = 0; i < lines.length; i++) {
        out.write((lines[i] + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        answers[i] = in.readLine();
      }
      return answers;
    }
  }

  @Test
  void aPlainModuleIsInstrumentedOnUploadAndServesRealClients() throws Exception {
    Reply up = api.put("/v1/guests/echo", "application/wasm", wasm("counter/counter-plain.wasm"));
    assertThat(up.status()).as(up.body()).isEqualTo(201);
    JsonNode guest = up.json();
    assertThat(guest.get("abi").asString()).isEqualTo("wasi-p1");
    String committed =
        HexFormat.of()
            .formatHex(MessageDigest.getInstance("SHA-256").digest(wasm("counter/counter.wasm")));
    assertThat(guest.get("sha256").asString()).isEqualTo(committed);

    Reply created =
        api.post("/v1/vms", "{\"id\":\"w1\",\"guest\":\"echo\",\"diskBytes\":0,\"start\":true}");
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    String at = listen("w1");
    assertThat(converse(at, "hello", "world")).containsExactly("1 hello", "2 world");
    assertThat(converse(at, "again")).containsExactly("3 again");

    Reply full = api.post("/v1/vms/w1/checkpoints", "{\"file\":\"w1.ckpt\",\"full\":true}");
    assertThat(full.status()).as(full.body()).isEqualTo(201);

    api.post("/v1/vms", "{\"id\":\"w2\",\"guest\":\"echo\",\"diskBytes\":0}");
    Reply restored = api.post("/v1/vms/w2/restore", "{\"file\":\"w1.ckpt\"}");
    assertThat(restored.status()).as(restored.body()).isEqualTo(200);
    api.post("/v1/vms/w2/start", "");
    assertThat(converse(listen("w2"), "copy")).containsExactly("4 copy");
    assertThat(converse(at, "original")).containsExactly("4 original");
    assertThat(api.get("/v1/vms/w1").json().get("state").asString()).isEqualTo("RUNNING");
  }

  @Test
  void argumentsAndEnvironmentReachTheProgram() throws Exception {
    Reply created =
        api.post(
            "/v1/vms",
            "{\"id\":\"s1\",\"guest\":\"counter\",\"diskBytes\":0,\"start\":true,"
                + "\"args\":[\"serial\"],\"env\":{\"GREETING\":\"hi\"}}");
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    String[] hp = listen("s1").split(":");
    try (Socket a = new Socket(hp[0], Integer.parseInt(hp[1]));
        Socket b = new Socket(hp[0], Integer.parseInt(hp[1]))) {
      a.setSoTimeout(20_000);
      b.setSoTimeout(20_000);
      BufferedReader ain =
          new BufferedReader(new InputStreamReader(a.getInputStream(), StandardCharsets.UTF_8));
      BufferedReader bin =
          new BufferedReader(new InputStreamReader(b.getInputStream(), StandardCharsets.UTF_8));
      a.getOutputStream().write("a\n".getBytes(StandardCharsets.UTF_8));
      assertThat(ain.readLine()).isEqualTo("1 a");
      b.getOutputStream().write("b\n".getBytes(StandardCharsets.UTF_8));
      a.getOutputStream().write("a2\n".getBytes(StandardCharsets.UTF_8));
      // "serial": one client at a time with blocking accept and recv, so b waits for a
      assertThat(ain.readLine()).isEqualTo("2 a2");
      a.close();
      assertThat(bin.readLine()).isEqualTo("3 b");
    }
  }

  @Test
  void anAbiV1GuestReadsItsEnvironment() throws Exception {
    // kv (ABI v1) reads COLO_APPENDFSYNC with env_get at boot: a group's appendfsync
    Reply created =
        api.post(
            "/v1/vms",
            "{\"id\":\"kv-always\",\"guest\":\"kv\",\"diskBytes\":1048576,\"start\":true,"
                + "\"env\":{\"COLO_APPENDFSYNC\":\"always\"}}");
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    String[] hp = listen("kv-always").split(":");
    try (Socket s = new Socket(hp[0], Integer.parseInt(hp[1]))) {
      s.setSoTimeout(20_000);
      s.getOutputStream().write("CONFIG GET appendfsync\r\n".getBytes(StandardCharsets.UTF_8));
      BufferedReader in =
          new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      String[] reply = new String[5];
      for (int i = 0; i < reply.length; i++) {
        reply[i] = in.readLine();
      }
      assertThat(reply).containsExactly("*2", "$11", "appendfsync", "$6", "always");
    }
  }

  @Test
  void aBadEnvironmentIsRefusedNamingTheField() {
    Reply r =
        api.post(
            "/v1/vms", "{\"id\":\"bad\",\"guest\":\"counter\",\"env\":{\"1-not-a-name\":\"x\"}}");
    assertThat(r.status()).as(r.body()).isEqualTo(400);
    assertThat(r.body()).contains("env");
  }

  @Test
  void theBundledWasiGuestIsListedWithItsAbi() {
    assertThat(api.get("/v1/guests").body()).contains("\"counter\"");
    assertThat(api.get("/v1/guests/counter").json().get("abi").asString()).isEqualTo("wasi-p1");
    assertThat(api.get("/v1/guests/kv").json().get("abi").asString()).isEqualTo("colo-v1");
  }
}
