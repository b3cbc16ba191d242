package dev.coloha.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ServiceProcessTest {
  @Test
  void aServiceMayTakeFourMinutesToStartUnlessThePropertySaysOtherwise() {
    assertThat(ServiceProcess.startTimeout(null)).isEqualTo(Duration.ofSeconds(240));
    assertThat(ServiceProcess.startTimeout(" ")).isEqualTo(Duration.ofSeconds(240));
    assertThat(ServiceProcess.startTimeout("360")).isEqualTo(Duration.ofSeconds(360));
    assertThat(ServiceProcess.startTimeout(" 30 ")).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void aStartTimeoutThatIsNotWholeSecondsAboveZeroIsRefusedByTheProperty() {
    for (String bad : new String[] {"0", "-5", "2m", "PT4M", "1.5"}) {
      assertThatThrownBy(() -> ServiceProcess.startTimeout(bad))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("colo.test.service-start-timeout")
          .hasMessageContaining(bad);
    }
  }
}
