package dev.coloha.mirror.config;

import dev.coloha.mirror.metrics.MirrorMetrics;
import dev.coloha.mirror.replication.HttpReplicaTransport;
import dev.coloha.mirror.stream.UnixIoServer;
import dev.coloha.mirror.volume.VolumeSettings;
import dev.coloha.mirror.volume.Volumes;
import dev.coloha.web.health.DataDirectoryHealth;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/** Wires the mirror's domain objects; they carry no Spring annotations themselves. */
@Configuration(proxyBeanMethods = false)
public class MirrorConfiguration {

  /** Readiness: the data directory takes writes (management.endpoint.health.group.readiness). */
  @Bean
  DataDirectoryHealth dataDirectoryHealthIndicator(MirrorProperties props) {
    return new DataDirectoryHealth(props.dataDir());
  }

  @Bean
  VolumeSettings volumeSettings(MirrorProperties props) {
    return props.toSettings();
  }

  @Bean
  MirrorMetrics mirrorMetrics(MeterRegistry registry) {
    return new MirrorMetrics(registry);
  }

  /**
   * The mirror's replica streams carry the shared service token ({@code colo.security.token}) when
   * one is set, like every other call between COLO HA services.
   */
  @Bean(destroyMethod = "close")
  Volumes volumes(
      MirrorProperties props, VolumeSettings settings, MirrorMetrics metrics, Environment env)
      throws IOException {
    var r = settings.replication();
    String token = env.getProperty("colo.security.token", "");
    Map<String, String> headers =
        token.isBlank() ? Map.of() : Map.of("Authorization", "Bearer " + token);
    return new Volumes(
        props.dataDir(),
        props.maxVolumes(),
        props.maxVolumeSize().toBytes(),
        settings,
        metrics,
        (url, volume) ->
            new HttpReplicaTransport(url, volume, r.connectTimeout(), r.streamTimeout(), headers));
  }

  @Bean
  StreamShutdown streamShutdown(Volumes volumes, ObjectProvider<UnixIoServer> unixIo) {
    return new StreamShutdown(volumes, unixIo.getIfAvailable());
  }

  /** The I/O streams of agents on this host on a Unix-domain socket, when one is configured. */
  @Bean(destroyMethod = "close")
  @ConditionalOnProperty("colo.mirror.io.unix-socket")
  UnixIoServer unixIoServer(MirrorProperties props, Volumes volumes, MirrorMetrics metrics)
      throws IOException {
    return UnixIoServer.start(
        props.io().unixSocket(),
        volumes,
        metrics,
        (int) props.io().maxFrame().toBytes(),
        props.io().pollAfterFlush());
  }
}
