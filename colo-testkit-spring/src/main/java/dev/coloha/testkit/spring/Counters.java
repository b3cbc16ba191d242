package dev.coloha.testkit.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import java.util.Arrays;
import java.util.List;

/**
 * The services' Micrometer counters as their metrics tests read them: a counter's count, and the
 * rule that each series a service announces (one per result, reason, kind) is registered at zero
 * before its first event, so a rate over it starts at zero rather than missing.
 */
public final class Counters {
  private Counters() {}

  /** The count of the one counter {@code name} with these tags ({@code key, value, ...}). */
  public static double count(MeterRegistry registry, String name, String... tags) {
    return registry.get(name).tags(tags).counter().count();
  }

  /**
   * The counter {@code name} is registered at zero for each of {@code values} of the tag {@code
   * tag}, with the other {@code tags} ({@code key, value, ...}) as well.
   */
  public static void assertEachAtZero(
      MeterRegistry registry, String name, String tag, List<String> values, String... tags) {
    for (String value : values) {
      String[] all = Arrays.copyOf(tags, tags.length + 2);
      all[tags.length] = tag;
      all[tags.length + 1] = value;
      assertThat(count(registry, name, all)).as("%s %s=%s", name, tag, value).isZero();
    }
  }
}
