package dev.coloha.proxy.group;

import dev.coloha.api.proxy.GroupLimits;
import dev.coloha.api.proxy.GroupView;
import dev.coloha.proxy.compare.OutputComparator;
import dev.coloha.proxy.event.EventLog;
import dev.coloha.proxy.ingress.ClientConnection;
import dev.coloha.proxy.ingress.ClientEvents;
import dev.coloha.proxy.metrics.GroupMetrics;
import dev.coloha.proxy.replica.AgentCheckpoints;
import dev.coloha.proxy.replica.StreamSettings;
import dev.coloha.wire.GroupConflictException;
import dev.coloha.wire.StaleEpochException;
import dev.coloha.wire.concurrent.Mailbox;
import dev.coloha.wire.concurrent.MailboxStoppedException;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One protected service, and the coordinator's commands to it (commit, failover, reconfiguration).
 * The jobs are its parts': {@link ClientListener} accepts clients, {@link InputFanOut} feeds their
 * input to the replicas and retains it, {@link Replicas} owns the roles and hands output to the
 * {@link OutputComparator}, whose decisions {@link ComparatorEffects} carries out, {@link
 * Backpressure} closes the gates, {@link ClientTimeouts} ends slow and idle clients. A command is
 * checked completely ({@link Reconfiguration}, {@link FailoverPlan}) before anything changes: a
 * refused one leaves the group as it was.
 *
 * <p>Over 400 lines because it is where those parts meet: each command's check-then-apply across
 * them, and the turn's scheduling, stay in one place so that their order can be read at once; the
 * work itself is in the parts.
 *
 * <p>Threads: the group is owned by one {@link Mailbox} (its <em>turn</em>, {@link #onTurn}). Its
 * commands (a commit, the coordinator's or a self-checkpoint's; a failover; a reconfiguration; the
 * deletion) and its periodic work run on the turn, one at a time: a command is checked and applied
 * in one step (a commit's epoch fence sees no failover half-done), and nothing checks the clients
 * while a command changes the roles. The periodic work is a deadline on the mailbox, set again each
 * time it runs ({@link #checksDue}: compare timeouts, a self-checkpoint due), each client has one
 * deadline of its own for its timeouts ({@link ClientTimeouts}), and a self-checkpoint's request
 * sets its own deadline for when it is due; no thread sleeps. A command from a caller runs on the
 * caller's thread when the group is idle ({@link Mailbox#callWhenIdle}), so a commit pays no
 * hand-off.
 *
 * <p>Locks that remain, all on the data path, which stays off the mailbox (a hand-off per client
 * read or per replica frame would cost throughput): the {@link Replicas}' lock (a frame is compared
 * under the roles it was read under; a command on the turn takes it to change them), a connection's
 * input lock in {@link InputFanOut} (input is retained and fanned out in one order), the
 * comparator's own lock (its decisions, from frames and commands), {@link ConnectionSlots}' lock
 * (the accept thread and the client threads) and the output readers' wait for room in {@link
 * Backpressure}. Order: the turn, then the {@link Replicas}' lock, then a connection's input lock,
 * then the comparator's lock; nothing that holds a lock waits for the turn (the comparator's
 * effects only set deadlines and atomics).
 */
public final class Group implements ClientEvents, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Group.class);

  private final String name;
  private final ProxySettings props;
  private final OutputComparator comparator;
  private final EventLog events;
  private final GroupMetrics metrics;
  private final SelfCheckpoint selfCheckpoint;
  private final Map<Integer, ClientConnection> clients = new ConcurrentHashMap<>();
  private final Backpressure backpressure;
  private final ComparatorEffects effects;
  private final InputFanOut input;
  private final Replicas replicas;
  private final ClientListener listener;
  private final ClientTimeouts timeouts;
  private final Mailbox mailbox;
  private volatile GroupSpec spec;

  private Group(
      GroupSpec spec,
      ProxySettings props,
      MeterRegistry registry,
      ClientListener listener,
      Map<String, String> headers,
      AgentCheckpoints agents,
      ProxyFaults faults) {
    this.name = spec.name();
    this.props = props;
    this.spec = spec;
    this.listener = listener;
    this.events =
        new EventLog(
            name,
            props.events().history(),
            props.forensics().history(),
            props.events().subscriberBuffer());
    this.mailbox =
        Mailbox.start(
            "group-" + name, t -> log.warn("group {}: a task on the group's turn failed", name, t));
    this.selfCheckpoint = new SelfCheckpoint(this, props.selfCheckpoint(), agents, mailbox);
    this.backpressure =
        new Backpressure(
            name,
            this::limits,
            props.limits().maxBufferedOutput(),
            events,
            () -> selfCheckpoint.requested(System.nanoTime()));
    this.effects = new ComparatorEffects(name, clients, backpressure, events, selfCheckpoint);
    this.comparator =
        new OutputComparator(
            spec.mode() == GroupSpec.Mode.COLO && spec.secondary() != null
                ? OutputComparator.Mode.COLO
                : OutputComparator.Mode.SINGLE,
            settings(spec),
            effects);
    this.input = new InputFanOut(clients, this::roles, this::limits, backpressure);
    this.metrics = new GroupMetrics(registry, name, comparator, clients::size, input::retained);
    effects.metrics(metrics);
    this.replicas =
        new Replicas(
            name,
            streamSettings(props, headers),
            comparator,
            effects,
            backpressure,
            clients,
            events,
            metrics,
            faults);
    this.timeouts =
        new ClientTimeouts(
            props.client(),
            clients,
            comparator::buffered,
            backpressure.gate()::isOpen,
            metrics::slowClient,
            (due, task) -> mailbox.scheduleAt(due, task)::cancel,
            System::nanoTime,
            () -> checkPeriodMillis() * 1_000_000);
  }

  private Roles roles() {
    return replicas.roles();
  }

  private GroupLimits limits() {
    return spec.limits();
  }

  private static StreamSettings streamSettings(ProxySettings props, Map<String, String> headers) {
    return new StreamSettings(
        props.stream().connectTimeout(),
        props.stream().readTimeout(),
        props.stream().heartbeatInterval(),
        (int) props.stream().maxFrame(),
        headers);
  }

  /**
   * Binds the listener and connects to the replicas' streams.
   *
   * @param headers on every stream to an agent (the shared token)
   * @param agents asks the primary's agent for self-checkpoints
   * @param faults fault points armed by tests ({@link ProxyFaults#NONE} otherwise)
   */
  static Group start(
      GroupSpec spec,
      ProxySettings props,
      MeterRegistry registry,
      Map<String, String> headers,
      AgentCheckpoints agents,
      ProxyFaults faults) {
    ClientListener listener =
        ClientListener.bind(
            spec.name(), spec.bindAddress(), spec.port(), spec.limits().maxConnections());
    Group g = new Group(spec, props, registry, listener, headers, agents, faults);
    g.spec = spec.withPort(listener.port());
    boolean compared = spec.mode() == GroupSpec.Mode.COLO && spec.secondary() != null;
    g.replicas.start(spec.primary(), compared ? spec.secondary() : null, spec.epoch(), spec.sync());
    if (spec.resume() != null) {
      g.resume(spec.resume());
    }
    g.awaitOutputs(props.stream().connectTimeout());
    listener.start(
        props.client(), props.limits().clientBuffer(), g, g.backpressure.gate(), g::accepted);
    g.mailbox.execute(g::checksDue);
    log.info(
        "group {} (epoch {}, {}) listens on {}:{}; primary {}, secondary {}",
        g.name,
        spec.epoch(),
        spec.mode(),
        spec.bindAddress(),
        listener.port(),
        spec.primary(),
        spec.secondary());
    return g;
  }

  /**
   * Before the first client: both replicas' outputs subscribed to (at most {@code timeout}; a
   * replica that does not answer by then is left to the stream's own failure handling, as before).
   * An agent writes its VM's output to the subscriber it has; one that has not seen this proxy's
   * subscription yet writes a new connection's reply to the proxy before it (after a takeover or a
   * restart: a dead one, where it is lost), and that connection waits forever (chaos round 97 of
   * docs/benchmarks.md "100 rounds with the warm standby proxy").
   */
  private void awaitOutputs(java.time.Duration timeout) {
    try {
      if (!replicas.awaitOutputs(timeout)) {
        log.warn(
            "group {}: a replica's output was not subscribed to within {} ms; accepting clients",
            name,
            timeout.toMillis());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * The replicas still have the connections of the proxy that served them before (it was restarted;
   * their clients are gone): each ends on both replicas as a client's reset would, and new clients
   * are numbered above every id the replicas know. Before the listener accepts anyone.
   */
  private void resume(GroupSpec.Resume r) {
    listener.numberFrom(r.nextConnection());
    input.endLost(r.lostConnections());
    log.info(
        "group {}: resumed; ended {} connection(s) of the proxy before, next connection {}",
        name,
        r.lostConnections().size(),
        r.nextConnection());
  }

  private OutputComparator.Settings settings(GroupSpec s) {
    return new OutputComparator.Settings(
        s.compareTimeout().toNanos(),
        props.compare().commitWait().toNanos(),
        s.limits().heldPerConnection(),
        s.limits().heldPerGroup(),
        (int) props.compare().sampleSize(),
        (int) props.forensics().window());
  }

  public String name() {
    return name;
  }

  public GroupSpec spec() {
    return spec;
  }

  public EventLog events() {
    return events;
  }

  public OutputComparator comparator() {
    return comparator;
  }

  /** The current primary. */
  ReplicaRef primaryRef() {
    return replicas.roles().primary().ref;
  }

  /** Whether two replicas are compared (output can wait for a checkpoint). */
  boolean comparing() {
    Roles r = replicas.roles();
    return r != null && r.secondary() != null && spec.mode() == GroupSpec.Mode.COLO;
  }

  SelfCheckpoint selfCheckpoint() {
    return selfCheckpoint;
  }

  GroupMetrics metrics() {
    return metrics;
  }

  public int port() {
    return listener.port();
  }

  // ---- clients --------------------------------------------------------------------------------

  private void accepted(ClientConnection c) {
    replicas.withRolesFixed(
        () ->
            input.open(
                c,
                () -> {
                  clients.put(c.id(), c);
                  metrics.connection();
                  comparator.open(c.id());
                }));
    c.start();
    timeouts.watch(c);
    timeouts.evictUnanswered(c);
  }

  @Override
  public void input(ClientConnection c, byte[] bytes) {
    input.input(c, bytes);
  }

  @Override
  public void readsDone() {
    input.flush();
  }

  @Override
  public void inputClosed(ClientConnection c) {
    input.inputClosed(c);
    timeouts.inputClosed(c);
  }

  @Override
  public void gone(ClientConnection c, String why) {
    if (clients.remove(c.id()) == null) {
      return;
    }
    listener.released();
    log.debug("group {}: connection {} over ({})", name, c.id(), why);
    timeouts.forget(c);
    input.gone(c);
    comparator.forget(c.id());
    input.reopen();
  }

  @Override
  public void pausedFor(ClientConnection c, long nanos) {
    metrics.backpressure(nanos);
  }

  /**
   * The group's periodic checks, on its turn, a few times per compare timeout ({@link
   * #checkPeriodMillis}): the comparator's compare timeouts, a self-checkpoint due. Each run sets
   * the next as a deadline on the mailbox (from the group's current compare timeout); the deletion
   * drops it. The clients' timeouts are deadlines of their own ({@link ClientTimeouts}).
   */
  private void checksDue() {
    long now = System.nanoTime();
    mailbox.scheduleAt(now + checkPeriodMillis() * 1_000_000, this::checksDue);
    comparator.tick(now);
    selfCheckpoint.tick(now);
  }

  /** A quarter of the group's compare timeout, 5 to 100 ms. */
  private long checkPeriodMillis() {
    return Math.clamp(spec.compareTimeout().toMillis() / 4, 5, 100);
  }

  /**
   * Runs {@code task} on the group's turn (on the calling thread if the group is idle, else after
   * what runs and is queued) and returns its result; its exception is thrown as it was.
   *
   * @throws MailboxStoppedException the group was deleted
   */
  <T> T onTurn(Callable<T> task) {
    return mailbox.callWhenIdle(task);
  }

  /** A coordinator's command on the turn; a deleted group is not found. */
  private <T> T command(Callable<T> task) {
    try {
      return onTurn(task);
    } catch (MailboxStoppedException e) {
      throw new GroupNotFoundException(name);
    }
  }

  // ---- commands -------------------------------------------------------------------------------

  /** What a commit did. */
  public record CommitOutcome(boolean applied, OutputComparator.Stats stats) {}

  /** Applies a checkpoint's commit (epoch fenced), on the group's turn. */
  public CommitOutcome commit(Commit k) {
    return command(() -> commitOnTurn(k));
  }

  /** {@link #commit}, the caller on the turn (a self-checkpoint's commit). */
  CommitOutcome commitOnTurn(Commit k) {
    long current = spec.epoch();
    if (k.epoch() < current) {
      throw new StaleEpochException(current, k.epoch());
    }
    if (k.epoch() > current) {
      throw new GroupConflictException(
          "epoch "
              + k.epoch()
              + " is newer than the group's "
              + current
              + ": reconfigure it first");
    }
    boolean applied = replicas.commit(k, selfCheckpoint);
    if (applied) {
      metrics.commit();
      input.committed(k);
    }
    return new CommitOutcome(applied, comparator.stats());
  }

  /**
   * Failover: {@code target} is the only replica from {@code epoch} on. Usually the old secondary
   * (its streams carry on: no byte in flight is lost); the current primary means the secondary is
   * dropped; any other VM gets new streams and the open connections are reset.
   */
  public GroupView failover(long epoch, ReplicaRef target) {
    return command(() -> failoverOnTurn(epoch, target));
  }

  private GroupView failoverOnTurn(long epoch, ReplicaRef target) {
    GroupSpec s = spec;
    Roles r = replicas.roles();
    FailoverPlan plan =
        FailoverPlan.plan(
            s, r.primary().ref, r.secondary() == null ? null : r.secondary().ref, epoch, target);
    if (plan.kind() == FailoverPlan.Kind.REPEATED) {
      return view();
    }
    replicas.failover(plan, () -> spec = plan.apply(s));
    input.reopen();
    return view();
  }

  /** Applies a new specification of the same group (settings, mode, secondary). */
  public GroupView reconfigure(GroupSpec asked) {
    return command(() -> reconfigureOnTurn(asked));
  }

  private GroupView reconfigureOnTurn(GroupSpec asked) {
    Roles r = replicas.roles();
    Reconfiguration plan =
        Reconfiguration.plan(
            spec, r.primary().ref, r.secondary() == null ? null : r.secondary().ref, asked);
    if (plan.repeated()) {
      return view();
    }
    GroupSpec next = plan.next();
    comparator.settings(settings(next));
    listener.maxConnections(next.limits().maxConnections());
    if (plan.dropSecondary()) {
      replicas.dropSecondary();
    }
    if (plan.attach() != null) {
      replicas.attach(plan.attach(), next.epoch(), next.sync(), input);
    }
    spec = next;
    return view();
  }

  // ---- views and end --------------------------------------------------------------------------

  public GroupView view() {
    return GroupViews.of(
        spec,
        replicas.roles(),
        comparator.stats(),
        clients.size(),
        input.retained(),
        effects.mismatches(),
        events,
        selfCheckpoint);
  }

  /**
   * Deletes the group: the command on the turn finishes, then the group closes as the mailbox's
   * last task; commands queued meanwhile find no group, and the periodic checks' deadline is
   * dropped.
   */
  @Override
  public void close() {
    mailbox.stop(this::closeOnTurn);
    try {
      mailbox.awaitStopped();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Whether the group was deleted ({@link #close} began). */
  boolean deleted() {
    return mailbox.stopping();
  }

  private void closeOnTurn() {
    replicas.stopReporting();
    listener.close();
    for (ClientConnection c : clients.values()) {
      c.finish("group deleted");
    }
    replicas.close();
    events.closeAll();
    metrics.close();
    backpressure.close();
    log.info("group {} deleted", name);
  }
}
