package dev.coloha.coordinator.remote;

import dev.coloha.api.CheckpointCommit;
import dev.coloha.api.Offset;
import dev.coloha.api.proxy.GroupRequests;
import dev.coloha.api.proxy.ListenCheck;
import dev.coloha.coordinator.remote.Remote.Idempotence;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The coordinator's calls to the packet proxy (docs/proxy.md), with the proxy's own request records
 * ({@link GroupRequests}, {@link ListenCheck}).
 */
public final class ProxyClient {
  private final Remote remote;
  private final Duration timeout;

  public ProxyClient(Remote remote, Duration timeout) {
    this.remote = remote;
    this.timeout = timeout;
  }

  /** The circuit breaker's name for the proxy at {@code url}. */
  public static String target(String url) {
    return "proxy:" + url;
  }

  /** A replica as the proxy addresses it. */
  public record Endpoint(String agentUrl, String vm) {}

  /** Configures (or reconfigures) a protected service on the proxy. */
  public void configure(
      String url,
      String group,
      long epoch,
      String bindAddress,
      int port,
      Endpoint primary,
      Endpoint secondary,
      Duration compareTimeout,
      Map<String, Object> sync) {
    configure(url, group, epoch, bindAddress, port, primary, secondary, compareTimeout, sync, null);
  }

  /**
   * Configures a service on a proxy that lost it (it was restarted): {@code resume} names the
   * connections the replicas still have (ended on both) and the first connection id to give.
   */
  public void configure(
      String url,
      String group,
      long epoch,
      String bindAddress,
      int port,
      Endpoint primary,
      Endpoint secondary,
      Duration compareTimeout,
      Map<String, Object> sync,
      Map<String, Object> resume) {
    configure(
        url,
        group,
        new GroupRequests.Put(
            epoch,
            new GroupRequests.Listen(bindAddress, port),
            GroupRequests.Mode.COLO,
            replica(primary),
            replica(secondary),
            compareTimeout,
            null,
            sync == null ? null : remote.json().convertValue(sync, GroupRequests.Sync.class),
            resume == null
                ? null
                : remote.json().convertValue(resume, GroupRequests.Resume.class)));
  }

  /** Configures (or reconfigures) a protected service on the proxy: {@code PUT /v1/groups/{g}}. */
  public void configure(String url, String group, GroupRequests.Put body) {
    remote.call(
        target(url),
        Idempotence.IDEMPOTENT,
        "PUT",
        url + "/v1/groups/" + group,
        body,
        Map.class,
        timeout);
  }

  private static GroupRequests.Replica replica(Endpoint e) {
    return e == null ? null : new GroupRequests.Replica(e.agentUrl(), e.vm());
  }

  /** Commits checkpoint {@code sequence}: the primary's output up to the offsets is released. */
  public void commit(
      String url,
      String group,
      long epoch,
      long sequence,
      List<AgentClient.Offset> outputOffsets,
      List<AgentClient.Offset> inputOffsets,
      List<Integer> closed) {
    commit(
        url,
        group,
        epoch,
        new CheckpointCommit(sequence, offsets(outputOffsets), offsets(inputOffsets), closed));
  }

  /**
   * Commits a checkpoint the primary's agent answered, as it answered it: the primary's output up
   * to its offsets is released.
   */
  public void commit(String url, String group, long epoch, CheckpointCommit checkpoint) {
    remote.call(
        target(url),
        Idempotence.IDEMPOTENT,
        "POST",
        url + "/v1/groups/" + group + "/commits",
        GroupRequests.Commit.of(epoch, checkpoint),
        Map.class,
        timeout);
  }

  private static List<Offset> offsets(List<AgentClient.Offset> offsets) {
    return offsets == null
        ? List.of()
        : offsets.stream().map(o -> new Offset(o.conn(), o.offset())).toList();
  }

  /** Switches the group to single-replica mode on a new primary. */
  public void failover(String url, String group, long epoch, Endpoint primary) {
    remote.call(
        target(url),
        Idempotence.IDEMPOTENT,
        "POST",
        url + "/v1/groups/" + group + "/failover",
        new GroupRequests.Failover(epoch, replica(primary)),
        Map.class,
        timeout);
  }

  /** The names of the groups the proxy serves ({@code GET /v1/groups}). */
  public List<String> groupNames(String url) {
    return Remote.ids(
        remote.call(
            target(url),
            Idempotence.IDEMPOTENT,
            "GET",
            url + "/v1/groups",
            null,
            List.class,
            timeout),
        "name");
  }

  public void delete(String url, String group) {
    try {
      remote.call(
          target(url),
          Idempotence.IDEMPOTENT,
          "DELETE",
          url + "/v1/groups/" + group,
          null,
          null,
          timeout);
    } catch (RemoteException e) {
      if (e.status() != 404) {
        throw e;
      }
    }
  }

  /**
   * Asks the proxy whether it could listen on {@code bindAddress:port} ({@code POST
   * /v1/listen-checks}), directly (no circuit breaker, no retry). A taken port is a {@link
   * RemoteException} with status 409, an address the proxy's host does not have one with 400.
   */
  public void checkListen(String url, String bindAddress, int port, Duration probeTimeout) {
    remote.direct(
        target(url),
        "POST",
        url + "/v1/listen-checks",
        new ListenCheck(bindAddress, port),
        Map.class,
        probeTimeout);
  }

  /**
   * The epoch in which the proxy serves the group, or -1 if it does not know it (a restarted
   * proxy). A direct call (no breaker, no retry): it decides whether the proxy needs the group.
   *
   * @throws UnreachableException if the proxy does not answer
   */
  public long servedEpoch(String url, String group, Duration probeTimeout) {
    try {
      Map<?, ?> view =
          remote.direct(
              target(url), "GET", url + "/v1/groups/" + group, null, Map.class, probeTimeout);
      Object e = view == null ? null : view.get("epoch");
      return e instanceof Number n ? n.longValue() : -1;
    } catch (RemoteException e) {
      if (e.status() == 404) {
        return -1;
      }
      throw e;
    }
  }

  /** Closes the proxy's circuit breaker: it answered (a restarted proxy on its old address). */
  public void resetBreaker(String url) {
    remote.resetBreaker(target(url));
  }

  public boolean alive(String url, Duration probeTimeout) {
    try {
      remote.direct(target(url), "GET", url + "/actuator/health", null, Map.class, probeTimeout);
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }
}
