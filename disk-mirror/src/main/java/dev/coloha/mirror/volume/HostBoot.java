package dev.coloha.mirror.volume;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This host's boot: Linux's {@code /proc/sys/kernel/random/boot_id}, new at every boot. A commit
 * that left its files to the page cache records it; a volume opened in another boot (the host
 * crashed or restarted since) cannot trust what the page cache lost (docs/disk-mirror.md).
 */
public final class HostBoot {
  private static final Path BOOT_ID = Path.of("/proc/sys/kernel/random/boot_id");
  private static final String CURRENT = read();

  private HostBoot() {}

  /** This boot's id, or null where the system has none (commits then fsync whatever the policy). */
  public static String current() {
    return CURRENT;
  }

  private static String read() {
    try {
      String id = Files.readString(BOOT_ID, StandardCharsets.US_ASCII).trim();
      return id.isEmpty() ? null : id;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
