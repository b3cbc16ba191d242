package dev.coloha.containers;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

class DockerTest {
  @Test
  void withoutDockerUnderCiTheContainerTestsFail() {
    assertThatThrownBy(() -> Docker.require(false, "true"))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("CI=true");
  }

  @Test
  void withoutDockerOnADevelopersMachineTheySkip() {
    assertThatThrownBy(() -> Docker.require(false, null)).isInstanceOf(TestAbortedException.class);
    assertThatThrownBy(() -> Docker.require(false, "false"))
        .isInstanceOf(TestAbortedException.class);
  }

  @Test
  void withDockerTheyRun() {
    assertThatCode(() -> Docker.require(true, "true")).doesNotThrowAnyException();
    assertThatCode(() -> Docker.require(true, null)).doesNotThrowAnyException();
  }
}
