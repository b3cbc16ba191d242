package dev.coloha.agent.config;

import org.springframework.boot.tomcat.TomcatConnectorCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Sizes the HTTP server's socket buffers for the long-lived binary streams (checkpoints, VM input
 * and output): with Tomcat's default of 8 KiB a 200 MB checkpoint takes 25,000 reads, each a
 * wake-up of the reading thread.
 */
@Configuration(proxyBeanMethods = false)
public class StreamSocketConfiguration {

  @Bean
  TomcatConnectorCustomizer streamSocketBuffers(AgentProperties props) {
    String bytes = Long.toString(props.replication().socketBuffer().toBytes());
    return connector -> {
      connector.setProperty("socket.appReadBufSize", bytes);
      connector.setProperty("socket.appWriteBufSize", bytes);
    };
  }
}
