package dev.coloha.mirror.config;

import dev.coloha.mirror.volume.ReplicationState;
import dev.coloha.web.openapi.ApiOperations;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * What the disk mirror's OpenAPI description (docs/api/disk-mirror.openapi.json) says beyond its
 * controllers: verb-first operation ids, the volume states and resync phases.
 */
@Configuration(proxyBeanMethods = false)
public class MirrorApiDescription {
  @Bean
  ApiOperations mirrorApiOperations() {
    // a primary's volume is in a ReplicationState; a secondary's is IN_SYNC, RESYNC_TARGET or
    // UNSYNCED (Volume.secondaryStatus)
    List<String> states = new ArrayList<>(ApiOperations.names(ReplicationState.class));
    states.addAll(List.of("IN_SYNC", "RESYNC_TARGET", "UNSYNCED"));
    return new ApiOperations(
        Map.ofEntries(
            Map.entry("GET /v1/volumes", "listVolumes"),
            Map.entry("POST /v1/volumes", "createVolume"),
            Map.entry("GET /v1/volumes/{id}", "getVolume"),
            Map.entry("DELETE /v1/volumes/{id}", "deleteVolume"),
            Map.entry("POST /v1/volumes/{id}/commit", "commitBarrier"),
            Map.entry("GET /v1/volumes/{id}/digest", "getVolumeDigest"),
            Map.entry("POST /v1/volumes/{id}/failover", "failOverVolume"),
            Map.entry("POST /v1/volumes/{id}/resync", "resyncVolume"),
            Map.entry("POST /v1/volumes/{id}/io", "openVolumeIo"),
            Map.entry("POST /v1/volumes/{id}/replica", "receiveReplication")),
        Map.of(),
        Map.of(
            "VolumeStatus.state",
            states,
            "ResyncProgress.phase",
            List.of("BULK", "ROUNDS", "FINAL", "WAITING_ACK", "DONE", "FAILED")),
        Map.of(
            "volumes", "Mirrored volumes: create, commit barriers, fail over, resync",
            "streams", "The VM's block I/O stream and the primary-to-secondary replication"));
  }
}
