package dev.coloha.web.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

class HeartbeatPropertiesTest {

  private static HeartbeatProperties bind(Map<String, String> settings) {
    return new Binder(new MapConfigurationPropertySource(settings))
        .bindOrCreate("colo.heartbeat", HeartbeatProperties.class);
  }

  @Test
  void aServiceWithoutAConfiguredHostBeatsAsTheMachinesHostName() {
    HeartbeatProperties p = bind(Map.of("colo.heartbeat.coordinator-url", "http://127.0.0.1:7700"));

    assertThat(p.host())
        .isNotBlank()
        .isNotEqualTo("null")
        .isEqualTo(HeartbeatProperties.localHostName(System.getenv("HOSTNAME")));
  }

  @Test
  void aConfiguredHostIsKept() {
    assertThat(bind(Map.of("colo.heartbeat.host", "host-7")).host()).isEqualTo("host-7");
  }

  @Test
  void withoutHostnameTheLocalAddressNamesTheHost() throws Exception {
    assertThat(HeartbeatProperties.localHostName(""))
        .isEqualTo(InetAddress.getLocalHost().getHostName());
    assertThat(HeartbeatProperties.localHostName("box-1")).isEqualTo("box-1");
  }
}
