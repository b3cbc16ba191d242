package dev.coloha.proxy.config;

import dev.coloha.proxy.group.Groups;
import dev.coloha.proxy.group.ProxySettings;
import dev.coloha.web.security.ServiceToken;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Wires the proxy's domain objects; they carry no Spring annotations themselves. */
@Configuration(proxyBeanMethods = false)
public class ProxyConfiguration {

  /** The groups' settings, checked at start-up: a value that cannot work fails it. */
  @Bean
  ProxySettings proxySettings(ProxyProperties props) {
    return props.toSettings();
  }

  @Bean(destroyMethod = "close")
  Groups groups(ProxySettings settings, MeterRegistry registry, ServiceToken token) {
    return new Groups(settings, registry, token.headers());
  }
}
