package dev.coloha.coordinator.remote;

import dev.coloha.api.CheckpointCommit;
import dev.coloha.api.proxy.GroupRequests;
import dev.coloha.api.proxy.GroupView;
import dev.coloha.api.proxy.ListenCheck;
import dev.coloha.api.proxy.ListenFree;
import dev.coloha.coordinator.remote.Remote.Idempotence;
import java.time.Duration;
import java.util.List;

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
      GroupRequests.Sync sync) {
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
      GroupRequests.Sync sync,
      GroupRequests.Resume resume) {
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
            sync,
            resume));
  }

  /**
   * Configures (or reconfigures) a protected service on the proxy: {@code PUT /v1/groups/{g}}.
   *
   * @return the group as the proxy serves it now
   */
  public GroupView configure(String url, String group, GroupRequests.Put body) {
    return remote.call(
        target(url),
        Idempotence.IDEMPOTENT,
        "PUT",
        url + "/v1/groups/" + group,
        body,
        GroupView.class,
        timeout);
  }

  private static GroupRequests.Replica replica(Endpoint e) {
    return e == null ? null : new GroupRequests.Replica(e.agentUrl(), e.vm());
  }

  /**
   * Commits a checkpoint the primary's agent answered, as it answered it: the primary's output up
   * to its offsets is released.
   */
  public GroupRequests.CommitResult commit(
      String url, String group, long epoch, CheckpointCommit checkpoint) {
    return remote.call(
        target(url),
        Idempotence.IDEMPOTENT,
        "POST",
        url + "/v1/groups/" + group + "/commits",
        GroupRequests.Commit.of(epoch, checkpoint),
        GroupRequests.CommitResult.class,
        timeout);
  }

  /** Switches the group to single-replica mode on a new primary. */
  public GroupView failover(String url, String group, long epoch, Endpoint primary) {
    return remote.call(
        target(url),
        Idempotence.IDEMPOTENT,
        "POST",
        url + "/v1/groups/" + group + "/failover",
        new GroupRequests.Failover(epoch, replica(primary)),
        GroupView.class,
        timeout);
  }

  /** The names of the groups the proxy serves ({@code GET /v1/groups}). */
  public List<String> groupNames(String url) {
    return remote.ids(target(url), url + "/v1/groups", GroupView[].class, GroupView::name, timeout);
  }

  public void delete(String url, String group) {
    remote.delete(target(url), url + "/v1/groups/" + group, timeout);
  }

  /**
   * Asks the proxy whether it could listen on {@code bindAddress:port} ({@code POST
   * /v1/listen-checks}), directly (no circuit breaker, no retry). A taken port is a {@link
   * RemoteException} with status 409, an address the proxy's host does not have one with 400.
   */
  public ListenFree checkListen(String url, String bindAddress, int port, Duration probeTimeout) {
    return remote.direct(
        target(url),
        "POST",
        url + "/v1/listen-checks",
        new ListenCheck(bindAddress, port),
        ListenFree.class,
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
      GroupView view =
          remote.direct(
              target(url), "GET", url + "/v1/groups/" + group, null, GroupView.class, probeTimeout);
      return view == null ? -1 : view.epoch();
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
    return remote.answers(target(url), url, probeTimeout);
  }
}
