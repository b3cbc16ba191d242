package dev.coloha.coordinator.config;

import static dev.coloha.web.settings.SettingCheck.atLeast;
import static dev.coloha.web.settings.SettingCheck.notAbove;
import static dev.coloha.web.settings.SettingCheck.notNegative;
import static dev.coloha.web.settings.SettingCheck.positive;

import dev.coloha.coordinator.group.CoordinatorSettings;
import dev.coloha.coordinator.model.Policy;
import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Configuration of the coordinator ({@code colo.coordinator.*}); docs/configuration.md.
 *
 * @param dataDir where the embedded database file lives
 * @param policy the policy of a group that names none
 * @param defaultMemory memory limit of a group that names none
 * @param defaultDisk disk size of a group that names none (0: memory only)
 * @param callTimeout timeout of an ordinary call to an agent, mirror or proxy
 * @param checkpointTimeout timeout of a checkpoint call to a primary agent
 * @param vmCreateTimeout timeout of creating or starting a VM (the agent may compile the guest)
 * @param syncTimeout how long an initial sync (pairing) may take
 * @param probeTimeout timeout of a health probe of a suspected host
 * @param reprotectDelay pause before re-protecting a degraded group (and between attempts)
 * @param eventHistory group events kept for new subscribers and the API
 * @param hostGrace after a coordinator start, how long hosts may stay silent before a probe
 * @param maxCheckpointFailures consecutive failed checkpoints, with both replicas still answering
 *     probes (e.g. the link between their hosts is cut), after which the secondary is dropped: the
 *     primary carries on alone in a new epoch and re-protection follows
 * @param allowPrivilegedPorts whether a group may ask for a port below 1024
 * @param createAttempts attempts at placing and starting a new group before it is FAILED (once
 *     create-timeout has passed too)
 * @param createTimeout time a new group may take to be placed and started before it is FAILED (once
 *     it had create-attempts attempts too)
 * @param lonePrimaryPatience how long a primary without a secondary may stay silent (no heartbeat,
 *     probes failing) before its group is FAILED; until then the group stays as it is: that primary
 *     is the only copy of the service, and a paused or CPU-starved host that comes back serves on
 * @param rejoinAfter a service (agent, mirror, proxy) that beats for the first time since the
 *     coordinator started, or after being silent this long, is swept: what it holds of groups the
 *     coordinator does not know (VMs, volumes, listeners) is removed
 * @param sweepOnRegistration whether a service that registers is swept whole (off: a service loses
 *     only what deleted groups failed to remove there, e.g. for a lab that also runs VMs, volumes
 *     or proxy groups of its own beside the coordinator's)
 * @param retry how the attempts of a re-protection, and of giving a proxy its group back, are
 *     spaced (exponential backoff with jitter)
 */
@ConfigurationProperties("colo.coordinator")
public record CoordinatorProperties(
    @DefaultValue("./data/coordinator") Path dataDir,
    @DefaultValue Policy policy,
    @DefaultValue("64MB") DataSize defaultMemory,
    @DefaultValue("0") DataSize defaultDisk,
    @DefaultValue("5s") Duration callTimeout,
    @DefaultValue("30s") Duration checkpointTimeout,
    @DefaultValue("60s") Duration vmCreateTimeout,
    @DefaultValue("5m") Duration syncTimeout,
    @DefaultValue("1s") Duration probeTimeout,
    @DefaultValue("1s") Duration reprotectDelay,
    @DefaultValue("1000") int eventHistory,
    @DefaultValue("5s") Duration hostGrace,
    @DefaultValue("3") int maxCheckpointFailures,
    @DefaultValue("false") boolean allowPrivilegedPorts,
    @DefaultValue("10") int createAttempts,
    @DefaultValue("2m") Duration createTimeout,
    @DefaultValue("5m") Duration lonePrimaryPatience,
    @DefaultValue("10s") Duration rejoinAfter,
    @DefaultValue("false") boolean sweepOnRegistration,
    @DefaultValue RetryBackoff retry) {
  public CoordinatorProperties {
    if (retry == null) {
      retry = RetryBackoff.defaults();
    }
  }

  private static final String P = "colo.coordinator.";

  /**
   * The groups' settings, checked: a value that cannot work fails the start naming its property.
   *
   * @throws dev.coloha.web.settings.InvalidSettingException naming the property
   */
  public CoordinatorSettings toSettings() {
    positive(P + "default-memory", defaultMemory);
    notNegative(P + "default-disk", defaultDisk);
    positive(P + "vm-create-timeout", vmCreateTimeout);
    atLeast(P + "event-history", eventHistory, 1);
    Duration reprotect = positive(P + "reprotect-delay", reprotectDelay);
    String pr = P + "retry.";
    if (retry.reprotectMaxDelay() != null) {
      notAbove(
          P + "reprotect-delay",
          reprotect,
          reprotect.toNanos(),
          pr + "reprotect-max-delay",
          positive(pr + "reprotect-max-delay", retry.reprotectMaxDelay()).toNanos());
    }
    notAbove(
        pr + "restore-delay",
        retry.restoreDelay(),
        positive(pr + "restore-delay", retry.restoreDelay()).toNanos(),
        pr + "restore-max-delay",
        positive(pr + "restore-max-delay", retry.restoreMaxDelay()).toNanos());
    return new CoordinatorSettings(
        policy,
        positive(P + "call-timeout", callTimeout),
        positive(P + "checkpoint-timeout", checkpointTimeout),
        positive(P + "sync-timeout", syncTimeout),
        positive(P + "probe-timeout", probeTimeout),
        reprotect,
        notNegative(P + "host-grace", hostGrace),
        atLeast(P + "max-checkpoint-failures", maxCheckpointFailures, 1),
        allowPrivilegedPorts,
        atLeast(P + "create-attempts", createAttempts, 1),
        notNegative(P + "create-timeout", createTimeout),
        notNegative(P + "lone-primary-patience", lonePrimaryPatience),
        notNegative(P + "rejoin-after", rejoinAfter),
        sweepOnRegistration,
        new CoordinatorSettings.Retry(
            retry.reprotectMaxDelay(),
            retry.restoreDelay(),
            retry.restoreMaxDelay(),
            retry.multiplier(),
            retry.jitter()));
  }
}
