package dev.coloha.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.testkit.Command;
import dev.coloha.testkit.Ports;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./colo standalone} as a user runs it: real process, real redis-cli, data kept on disk. */
class ColoStandaloneScriptIT {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  @TempDir Path data;
  private String pid;

  private String start(int port) {
    Command.Result r =
        Command.run(
            Duration.ofMinutes(3),
            ROOT,
            null,
            "./colo",
            "standalone",
            "--guest",
            "kv",
            "--port",
            Integer.toString(port),
            "--data",
            data.toString(),
            "--detach");
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output())
        .contains("listens on 127.0.0.1:" + port, "redis-cli -h 127.0.0.1 -p " + port);
    Matcher m = Pattern.compile("pid: (\\d+)").matcher(r.output());
    assertThat(m.find()).as(r.output()).isTrue();
    return m.group(1);
  }

  private String cli(int port, String... args) {
    String[] argv = new String[args.length + 3];
    argv[0] = "redis-cli";
    argv[1] = "-p";
    argv[2] = Integer.toString(port);
    System.arraycopy(args, 0, argv, 3, args.length);
    return Command.run(Duration.ofSeconds(20), argv).output().trim();
  }

  @AfterEach
  void stop() {
    if (pid != null) {
      Command.run(
          Duration.ofSeconds(20),
          "bash",
          "-c",
          "kill " + pid + "; while kill -0 " + pid + " 2>/dev/null; do sleep 0.1; done");
    }
  }

  @Test
  void servesRedisClientsAndKeepsDataAcrossRestarts() throws IOException {
    int port = Ports.free();
    pid = start(port);
    assertThat(cli(port, "SET", "durable", "yes")).isEqualTo("OK");
    assertThat(cli(port, "INCR", "n")).isEqualTo("1");
    Command.run(Duration.ofSeconds(20), "bash", "-c", "kill -9 " + pid);
    pid = start(port);
    assertThat(cli(port, "GET", "durable")).isEqualTo("yes");
    assertThat(cli(port, "INCR", "n")).isEqualTo("2");
  }
}
