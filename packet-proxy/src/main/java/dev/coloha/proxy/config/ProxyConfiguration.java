package dev.coloha.proxy.config;

import dev.coloha.proxy.group.Groups;
import dev.coloha.web.security.ServiceToken;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Wires the proxy's domain objects; they carry no Spring annotations themselves. */
@Configuration(proxyBeanMethods = false)
public class ProxyConfiguration {

  @Bean(destroyMethod = "close")
  Groups groups(ProxyProperties props, MeterRegistry registry, ServiceToken token) {
    return new Groups(props, registry, token.headers());
  }
}
