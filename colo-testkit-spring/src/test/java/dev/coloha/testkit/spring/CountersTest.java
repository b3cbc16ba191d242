package dev.coloha.testkit.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.search.MeterNotFoundException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

class CountersTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  private void register(String result) {
    registry.counter("colo.checkpoints", "vm", "vm-1", "result", result);
  }

  @Test
  void everySeriesRegisteredAtZeroPasses() {
    register("ok");
    register("timeout");

    Counters.assertEachAtZero(
        registry, "colo.checkpoints", "result", List.of("ok", "timeout"), "vm", "vm-1");
    registry.counter("colo.checkpoints", "vm", "vm-1", "result", "ok").increment();
    assertThat(Counters.count(registry, "colo.checkpoints", "result", "ok", "vm", "vm-1"))
        .isEqualTo(1.0);
  }

  @Test
  void aSeriesMissingOrCountedFails() {
    register("ok");
    assertThatThrownBy(
            () ->
                Counters.assertEachAtZero(
                    registry, "colo.checkpoints", "result", List.of("ok", "timeout"), "vm", "vm-1"))
        .isInstanceOf(MeterNotFoundException.class);

    register("timeout");
    registry.counter("colo.checkpoints", "vm", "vm-1", "result", "timeout").increment();
    assertThatThrownBy(
            () ->
                Counters.assertEachAtZero(
                    registry, "colo.checkpoints", "result", List.of("ok", "timeout"), "vm", "vm-1"))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("result=timeout");
  }
}
