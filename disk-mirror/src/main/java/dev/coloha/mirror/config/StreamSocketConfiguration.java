package dev.coloha.mirror.config;

import org.springframework.boot.tomcat.TomcatConnectorCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Sizes the HTTP server's socket buffers for the long-lived binary streams ({@code
 * colo.mirror.io.socket-buffer}): with Tomcat's default of 8 KiB a replica stream of 4 KiB writes
 * takes a socket read, and a wake-up of its reader, every other write.
 */
@Configuration(proxyBeanMethods = false)
public class StreamSocketConfiguration {

  @Bean
  TomcatConnectorCustomizer streamSocketBuffers(MirrorProperties props) {
    String bytes = Long.toString(props.io().socketBuffer().toBytes());
    return connector -> {
      connector.setProperty("socket.appReadBufSize", bytes);
      connector.setProperty("socket.appWriteBufSize", bytes);
    };
  }
}
