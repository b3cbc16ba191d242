package dev.coloha.coordinator.group;

import dev.coloha.coordinator.events.GroupEvent;
import dev.coloha.coordinator.events.GroupEvents;
import dev.coloha.coordinator.hosts.HostRegistry;
import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.GroupSpec;
import dev.coloha.coordinator.model.GroupState;
import dev.coloha.coordinator.model.Policy;
import dev.coloha.coordinator.remote.AgentClient;
import dev.coloha.coordinator.remote.MirrorClient;
import dev.coloha.coordinator.remote.ProxyClient;
import dev.coloha.coordinator.remote.Remote;
import dev.coloha.coordinator.store.CoordinatorStore;
import dev.coloha.wire.GroupConflictException;
import dev.coloha.wire.InvalidFieldException;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Protected groups: creation (one call), queries, manual checkpoint and failover, host loss, policy
 * updates, deletion. Each group is run by its own {@link GroupWorker}; after a restart every stored
 * group is resumed from its persisted state. It is the API's one entry to the groups, a method per
 * operation of docs/api.md, each checking its request completely before it hands the group's worker
 * a command.
 */
public final class GroupService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GroupService.class);
  private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

  private final CoordinatorStore store;
  private final HostRegistry hosts;
  private final AgentClient agents;
  private final MirrorClient mirrors;
  private final Remote remote;
  private final GroupEvents events;
  private final CoordinatorMetrics metrics;
  private final CoordinatorSettings props;
  private final Clock clock;
  private final GroupOperations ops;
  private final GroupAdmission admission;
  private final Map<String, GroupWorker> workers = new ConcurrentHashMap<>();
  private final Leftovers leftovers;

  public GroupService(
      CoordinatorStore store,
      HostRegistry hosts,
      AgentClient agents,
      MirrorClient mirrors,
      ProxyClient proxies,
      Remote remote,
      GroupEvents events,
      MeterRegistry registry,
      CoordinatorSettings props,
      Clock clock) {
    this.store = store;
    this.hosts = hosts;
    this.agents = agents;
    this.mirrors = mirrors;
    this.remote = remote;
    this.events = events;
    this.props = props;
    this.clock = clock;
    this.metrics = new CoordinatorMetrics(registry, this::current);
    this.leftovers =
        new Leftovers(
            Map.of(
                "agent", holder(agents::vmIds, agents::deleteVm),
                "mirror", holder(mirrors::volumeIds, mirrors::deleteVolume),
                "proxy", holder(proxies::groupNames, proxies::delete)),
            this::knownGroups,
            props.rejoinAfter(),
            props.sweepOnRegistration(),
            clock,
            r -> Thread.ofVirtual().name("leftovers").start(r));
    this.ops =
        new GroupOperations(
            store,
            hosts,
            agents,
            mirrors,
            proxies,
            events,
            metrics,
            props,
            clock,
            this::current,
            leftovers);
    this.admission = new GroupAdmission(hosts, agents, proxies, props);
  }

  private static Leftovers.Holder holder(
      java.util.function.Function<String, List<String>> held,
      java.util.function.BiConsumer<String, String> remove) {
    return new Leftovers.Holder() {
      @Override
      public List<String> held(String url) {
        return held.apply(url);
      }

      @Override
      public void remove(String url, String id) {
        remove.accept(url, id);
      }
    };
  }

  /** Every group stored or running (a group is stored before any service holds anything of it). */
  private Set<String> knownGroups() {
    Set<String> ids = new HashSet<>(workers.keySet());
    store.groups().forEach(g -> ids.add(g.id()));
    return ids;
  }

  private Collection<Group> current() {
    return workers.values().stream().map(GroupWorker::group).toList();
  }

  /** Resumes every stored group (after a start or restart of the coordinator). */
  public void start() {
    for (Group g : store.groups()) {
      if (g.state() == GroupState.DELETING) {
        // a DELETE the coordinator did not finish before it stopped: finished now (every step is
        // idempotent; a service that does not answer is swept when it beats), off this thread so
        // that a silent service does not hold up the other groups' start
        log.info("finishing the deletion of group {} (epoch {})", g.id(), g.epoch());
        Thread.ofVirtual()
            .name("delete-" + g.id())
            .start(
                () -> {
                  try {
                    ops.delete(g);
                  } catch (RuntimeException e) {
                    log.warn("group {}: deletion not finished: {}", g.id(), e.toString());
                  }
                });
        continue;
      }
      log.info("resuming group {} ({}, epoch {})", g.id(), g.state(), g.epoch());
      run(g);
    }
  }

  private void run(Group g) {
    GroupWorker w =
        new GroupWorker(
            g,
            ops,
            hosts,
            agents,
            mirrors,
            remote,
            events,
            metrics,
            props,
            clock,
            () -> {
              workers.remove(g.id());
              metrics.groupRemoved(g.id());
            });
    workers.put(g.id(), w);
    metrics.groupStarted(g.id(), () -> w.group().state());
    w.start();
  }

  /**
   * Creates a protected group once it passed every check ({@link GroupAdmission}): the answer is at
   * once, the work happens in the background (watch its state).
   */
  public synchronized Group create(CreateGroup c) {
    String id = c.spec().id();
    if (id == null || !ID.matcher(id).matches()) {
      throw new InvalidFieldException("id", "is invalid: use 1-63 of [a-z0-9-]");
    }
    try { // checks the arguments, the environment, the network model and the files
      c.spec().launch();
    } catch (IllegalArgumentException e) {
      throw InvalidFieldException.of(e);
    }
    if (workers.containsKey(id) || store.group(id).isPresent()) {
      throw new GroupConflictException("id", "a group '" + id + "' already exists");
    }
    admission.checkLocally(c.spec(), workers.values().stream().map(w -> w.group().spec()).toList());
    admission.checkRemotely(c.spec());
    Group g = Group.creating(c.spec(), c.policy() == null ? props.policy() : c.policy());
    store.save(g); // the epoch is durable before any agent sees it
    events.publish(
        new GroupEvent(
            clock.instant(),
            id,
            "created",
            1,
            GroupState.CREATING.name(),
            "guest " + c.spec().guest()));
    run(g);
    return g;
  }

  public List<Group> list() {
    return current().stream().sorted(Comparator.comparing(Group::id)).toList();
  }

  public Group get(String id) {
    return worker(id).group();
  }

  private GroupWorker worker(String id) {
    GroupWorker w = workers.get(id);
    if (w == null) {
      throw new GroupNotFoundException(id);
    }
    return w;
  }

  public Group checkpoint(String id) {
    CompletableFuture<Group> f = new CompletableFuture<>();
    worker(id).send(new GroupWorker.Checkpoint("manual", f));
    return await(f, props.checkpointTimeout().plus(props.callTimeout()));
  }

  public Group failover(String id) {
    CompletableFuture<Group> f = new CompletableFuture<>();
    worker(id).send(new GroupWorker.Failover("manual failover", f));
    return await(f, props.callTimeout().multipliedBy(6));
  }

  public Group updatePolicy(String id, Policy policy) {
    CompletableFuture<Group> f = new CompletableFuture<>();
    worker(id).send(new GroupWorker.ChangePolicy(policy, f));
    return await(f, props.callTimeout());
  }

  /**
   * A heartbeat of a service: registers it, closes its circuit breaker (a service that beats is
   * there, whatever its predecessor on that address did) and, for a proxy, tells the groups that
   * wait for theirs to be served again.
   */
  public void heartbeat(String host, String role, String url) {
    heartbeat(host, role, url, null);
  }

  /**
   * @param replaces a proxy that took over from its warm standby pair's former holder: that one's
   *     URL, whose groups move to this proxy even if this coordinator never saw it beat
   */
  public void heartbeat(String host, String role, String url, String replaces) {
    java.util.Optional<String> movedFrom =
        role.equals("proxy")
            ? hosts.proxyMovedFrom(host, url, replaces)
            : java.util.Optional.empty();
    hosts.heartbeat(host, role, url);
    leftovers.beat(role, url);
    switch (role) {
      case "agent" -> remote.resetBreaker(AgentClient.target(url));
      case "mirror" -> remote.resetBreaker(MirrorClient.target(url));
      default -> {
        remote.resetBreaker(ProxyClient.target(url));
        // a standby that took over beats from its own address: the groups of its predecessor
        // move to it at once (not after the predecessor's heartbeats time out)
        movedFrom.ifPresent(
            from -> workers.values().forEach(w -> w.send(new GroupWorker.ProxyMoved(from, url))));
        workers.values().forEach(w -> w.send(new GroupWorker.ProxyBeat(url)));
      }
    }
  }

  /** An external heartbeat module (Pacemaker, Kubernetes) says a host is gone. */
  public void hostLost(String host) {
    hosts.markLost(host);
    log.warn("host {} declared lost", host);
    workers.values().forEach(w -> w.send(new GroupWorker.HostLost(host)));
  }

  public void delete(String id) {
    CompletableFuture<Void> f = new CompletableFuture<>();
    worker(id).send(new GroupWorker.Delete(f));
    await(f, props.callTimeout().multipliedBy(6));
  }

  public List<GroupEvent> history(String id) {
    if (id != null) {
      worker(id);
    }
    return events.history(id);
  }

  private static <T> T await(CompletableFuture<T> f, Duration timeout) {
    try {
      return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException(e.getCause());
    } catch (TimeoutException e) {
      throw new OperationTimeoutException(
          "the group did not finish the operation within " + timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    workers.values().forEach(GroupWorker::stop);
  }

  /**
   * Command: create a group.
   *
   * @param spec what is asked for (its id and its launch are checked when the group is created)
   * @param policy null for the default policy
   */
  public record CreateGroup(GroupSpec spec, Policy policy) {}
}
