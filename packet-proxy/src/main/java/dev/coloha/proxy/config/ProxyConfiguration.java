package dev.coloha.proxy.config;

import dev.coloha.proxy.group.Groups;
import dev.coloha.proxy.group.ProxySettings;
import dev.coloha.proxy.standby.StandbyLock;
import dev.coloha.web.heartbeat.HeartbeatFacts;
import dev.coloha.web.heartbeat.HeartbeatProperties;
import dev.coloha.web.security.ServiceToken;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.Map;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.DependsOn;

/** Wires the proxy's domain objects; they carry no Spring annotations themselves. */
@Configuration(proxyBeanMethods = false)
public class ProxyConfiguration {

  /** The groups' settings, checked at start-up: a value that cannot work fails it. */
  @Bean
  ProxySettings proxySettings(ProxyProperties props) {
    return props.toSettings();
  }

  /** Closed after the groups (they depend on it): the standby takes over once they are closed. */
  @Bean(destroyMethod = "close")
  @DependsOn("standbyLock")
  Groups groups(ProxySettings settings, MeterRegistry registry, ServiceToken token) {
    return new Groups(settings, registry, token.headers());
  }

  /**
   * The pair's lock (colo.proxy.standby.lock-file), taken or waited for as the proxy starts; also
   * the heartbeat's gate: a standby registers with the coordinator only once it is active. Always a
   * bean (Spring's build-time AOT fixes conditions with the build's properties).
   */
  @Bean(destroyMethod = "close")
  StandbyLock standbyLock(ProxyProperties props, MeterRegistry registry) {
    StandbyLock lock = new StandbyLock(props.standby().lockFile(), Clock.systemUTC());
    Gauge.builder("colo.proxy.active", lock, l -> l.active() ? 1 : 0)
        .description(
            "1 while this proxy is the active one of its pair (or has no standby), 0 standby")
        .register(registry);
    lock.start();
    return lock;
  }

  /** Once the API serves: its URL into the lock file, for the proxy that takes over next. */
  @Bean
  ApplicationListener<WebServerInitializedEvent> standbyLockAdvertiser(
      StandbyLock lock, HeartbeatProperties heartbeat) {
    return e -> lock.advertise(heartbeat.advertisedUrl(e.getWebServer().getPort()));
  }

  /**
   * With every heartbeat of a proxy that took over from its pair's former holder: {@code replaces}
   * (that one's URL), so that a coordinator that did not see it beat moves its groups too.
   */
  @Bean
  HeartbeatFacts standbyReplaces(StandbyLock lock) {
    return () -> {
      String replaced = lock.replaced();
      return replaced == null ? Map.of() : Map.of("replaces", replaced);
    };
  }
}
