package dev.coloha.coordinator.store;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Starts a test class's {@code main} in a child JVM on this test's class path (to kill it -9). */
final class ChildJvm {
  private ChildJvm() {}

  static Process start(Class<?> main, ProcessBuilder.Redirect stderr, String... args)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(main.getName());
    command.addAll(List.of(args));
    return new ProcessBuilder(command).redirectError(stderr).start();
  }
}
