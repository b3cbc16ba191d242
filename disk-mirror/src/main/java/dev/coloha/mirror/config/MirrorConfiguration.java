package dev.coloha.mirror.config;

import dev.coloha.mirror.metrics.MirrorMetrics;
import dev.coloha.mirror.replication.HttpReplicaTransport;
import dev.coloha.mirror.volume.VolumeSettings;
import dev.coloha.mirror.volume.Volumes;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Wires the mirror's domain objects; they carry no Spring annotations themselves. */
@Configuration(proxyBeanMethods = false)
public class MirrorConfiguration {

  @Bean
  VolumeSettings volumeSettings(MirrorProperties props) {
    return props.toSettings();
  }

  @Bean
  MirrorMetrics mirrorMetrics(MeterRegistry registry) {
    return new MirrorMetrics(registry);
  }

  @Bean(destroyMethod = "close")
  Volumes volumes(MirrorProperties props, VolumeSettings settings, MirrorMetrics metrics)
      throws IOException {
    var r = settings.replication();
    return new Volumes(
        props.dataDir(),
        props.maxVolumes(),
        props.maxVolumeSize().toBytes(),
        settings,
        metrics,
        (url, volume) ->
            new HttpReplicaTransport(url, volume, r.connectTimeout(), r.streamTimeout()));
  }

  @Bean
  StreamShutdown streamShutdown(Volumes volumes) {
    return new StreamShutdown(volumes);
  }
}
