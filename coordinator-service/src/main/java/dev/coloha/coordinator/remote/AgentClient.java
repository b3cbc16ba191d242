package dev.coloha.coordinator.remote;

import dev.coloha.api.agent.CheckpointResult;
import dev.coloha.api.agent.CreateVmRequest;
import dev.coloha.api.agent.ReplicationRequests;
import dev.coloha.api.agent.ReplicationStatus;
import dev.coloha.api.agent.VmView;
import dev.coloha.coordinator.guests.GuestDelivery;
import dev.coloha.coordinator.remote.Remote.Idempotence;
import java.time.Duration;
import java.util.List;

/** The coordinator's calls to replica agents (docs/api.md, replica agent). */
public final class AgentClient {
  private final Remote remote;
  private final Duration timeout;
  private final Duration checkpointTimeout;
  private final Duration vmCreateTimeout;
  private final GuestDelivery guests;

  /**
   * @param timeout ordinary calls
   * @param checkpointTimeout checkpoint calls
   * @param vmCreateTimeout creating and starting a VM (the agent may compile the guest first)
   */
  public AgentClient(
      Remote remote, Duration timeout, Duration checkpointTimeout, Duration vmCreateTimeout) {
    this(remote, timeout, checkpointTimeout, vmCreateTimeout, GuestDelivery.NONE);
  }

  /**
   * @param guests delivers a library guest to an agent before a VM of it is created there
   */
  public AgentClient(
      Remote remote,
      Duration timeout,
      Duration checkpointTimeout,
      Duration vmCreateTimeout,
      GuestDelivery guests) {
    this.guests = guests;
    this.remote = remote;
    this.timeout = timeout;
    this.checkpointTimeout = checkpointTimeout;
    this.vmCreateTimeout = vmCreateTimeout;
  }

  public static String target(String url) {
    return "agent:" + url;
  }

  /** Whether the coordinator's guest library holds the guest (delivered to agents on placement). */
  public boolean inLibrary(String guest) {
    return guests.holds(guest);
  }

  /** The ABI label of a library guest ({@code colo-v1}, {@code wasi-p1}), if it is one. */
  public java.util.Optional<String> libraryAbi(String guest) {
    return guests.abi(guest);
  }

  /**
   * The guests an agent runs ({@code GET /v1/guests}), asked directly: an answer or its absence
   * says nothing about the agent's health and never touches its circuit breaker.
   */
  public List<String> guests(String url, Duration probeTimeout) {
    String[] names =
        remote.direct(target(url), "GET", url + "/v1/guests", null, String[].class, probeTimeout);
    return names == null ? List.of() : List.of(names);
  }

  /**
   * Creates the VM unless it exists already (409 conflict counts as done), after delivering its
   * guest from the library if it is one.
   */
  public void createVm(String url, CreateVmRequest vm) {
    guests.deliver(url, vm.guest());
    try {
      remote.call(
          target(url),
          Idempotence.ONCE,
          "POST",
          url + "/v1/vms",
          vm,
          VmView.class,
          vmCreateTimeout);
    } catch (RemoteException e) {
      if (e.status() != 409) {
        throw e;
      }
    }
  }

  public void start(String url, String vm) {
    remote.call(
        target(url),
        Idempotence.IDEMPOTENT,
        "POST",
        url + "/v1/vms/" + vm + "/start",
        null,
        VmView.class,
        vmCreateTimeout);
  }

  /** The ids of the VMs the agent runs ({@code GET /v1/vms}); a VM's id is its group's id. */
  public List<String> vmIds(String url) {
    return remote.ids(target(url), url + "/v1/vms", VmView[].class, VmView::id, timeout);
  }

  public void deleteVm(String url, String vm) {
    remote.delete(target(url), url + "/v1/vms/" + vm, timeout);
  }

  public ReplicationStatus becomeSecondary(String url, String vm, long epoch) {
    return replicationCall(
        url, vm, Idempotence.IDEMPOTENT, "secondary", new ReplicationRequests.Secondary(epoch));
  }

  public ReplicationStatus becomePrimary(
      String url, String vm, long epoch, String secondaryAgentUrl, String secondaryVm) {
    return replicationCall(
        url,
        vm,
        Idempotence.ONCE,
        "primary",
        new ReplicationRequests.Primary(
            epoch, new ReplicationRequests.PeerRef(secondaryAgentUrl, secondaryVm)));
  }

  /**
   * {@code POST /v1/vms/{vm}/{action}}: a change of the VM's replication role, its status after.
   */
  private ReplicationStatus replicationCall(
      String url, String vm, Idempotence idempotence, String action, Object body) {
    return remote.call(
        target(url),
        idempotence,
        "POST",
        url + "/v1/vms/" + vm + "/" + action,
        body,
        ReplicationStatus.class,
        timeout);
  }

  public ReplicationStatus replication(String url, String vm) {
    return remote.get(
        target(url), url + "/v1/vms/" + vm + "/replication", ReplicationStatus.class, timeout);
  }

  /**
   * A VM as its agent shows it ({@code GET /v1/vms/{vm}}): among others the client connections it
   * has, what a proxy that serves it anew must end, and the id its first client must be above.
   */
  public VmView vm(String url, String vm) {
    return remote.get(target(url), url + "/v1/vms/" + vm, VmView.class, timeout);
  }

  /** Checkpoint {@code sequence}: retried safely (the agent answers a repeated sequence again). */
  public CheckpointResult checkpoint(String url, String vm, long epoch, long sequence) {
    return checkpoint(
        url, vm, Idempotence.IDEMPOTENT, new ReplicationRequests.Checkpoint(epoch, sequence, null));
  }

  /**
   * A checkpoint numbered by the agent (its next number above every one it attempted): called once,
   * never retried (a retry would take another checkpoint).
   */
  public CheckpointResult checkpointNext(String url, String vm, long epoch) {
    return checkpoint(
        url, vm, Idempotence.ONCE, new ReplicationRequests.Checkpoint(epoch, null, null));
  }

  private CheckpointResult checkpoint(
      String url, String vm, Idempotence idempotence, ReplicationRequests.Checkpoint body) {
    return remote.call(
        target(url),
        idempotence,
        "POST",
        url + "/v1/vms/" + vm + "/checkpoint",
        body,
        CheckpointResult.class,
        checkpointTimeout);
  }

  /** Promotes a secondary (idempotent for one epoch). */
  public ReplicationStatus promote(String url, String vm, long epoch) {
    return replicationCall(
        url, vm, Idempotence.IDEMPOTENT, "promote", new ReplicationRequests.Promote(epoch));
  }

  /**
   * Whether the agent answers a direct probe; if it does, its circuit breaker is closed again (it
   * may be a restarted agent on the old address).
   */
  public boolean ready(String url, Duration probeTimeout) {
    return remote.ready(target(url), url, probeTimeout);
  }

  /**
   * Whether the agent still has VM {@code vm} ({@code GET /v1/vms/{vm}}, bypassing the circuit
   * breaker): false only when the agent answers that it has no such VM (404). An agent that answers
   * its probe may be a restarted one, which no longer runs the VMs its predecessor ran; any other
   * failure says nothing about the VM.
   */
  public boolean hasVm(String url, String vm, Duration probeTimeout) {
    try {
      remote.direct(target(url), "GET", url + "/v1/vms/" + vm, null, VmView.class, probeTimeout);
      return true;
    } catch (RemoteException e) {
      return e.status() != 404;
    } catch (RuntimeException e) {
      return true;
    }
  }

  /** A health probe that bypasses the circuit breaker. */
  public boolean alive(String url, Duration probeTimeout) {
    return remote.answers(target(url), url, probeTimeout);
  }
}
