package dev.coloha.proxy.group;

import dev.coloha.proxy.compare.Chunk;
import dev.coloha.proxy.compare.Mismatch;
import dev.coloha.proxy.compare.OutputEffects;
import dev.coloha.proxy.event.EventLog;
import dev.coloha.proxy.ingress.ClientConnection;
import dev.coloha.proxy.metrics.GroupMetrics;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the comparator's decisions do in a group: released bytes go to the client's writer, a
 * mismatch is an event and a checkpoint request, held output over its limits is backpressure.
 * Called under the comparator's lock: nothing here blocks (a reset runs on its own thread).
 */
final class ComparatorEffects implements OutputEffects {
  private static final Logger log = LoggerFactory.getLogger(ComparatorEffects.class);

  private final String group;
  private final Map<Integer, ClientConnection> clients;
  private final Backpressure backpressure;
  private final EventLog events;
  private final SelfCheckpoint selfCheckpoint;
  private final AtomicLong mismatches = new AtomicLong();
  private GroupMetrics metrics;

  ComparatorEffects(
      String group,
      Map<Integer, ClientConnection> clients,
      Backpressure backpressure,
      EventLog events,
      SelfCheckpoint selfCheckpoint) {
    this.group = group;
    this.clients = clients;
    this.backpressure = backpressure;
    this.events = events;
    this.selfCheckpoint = selfCheckpoint;
  }

  /** The group's meters; set once, by the group's constructor, before any frame is compared. */
  void metrics(GroupMetrics m) {
    this.metrics = m;
  }

  /** Mismatches reported so far. */
  long mismatches() {
    return mismatches.get();
  }

  @Override
  public void release(int conn, Chunk bytes) {
    metrics.holdDelay(System.nanoTime() - bytes.arrivalNanos());
    ClientConnection c = clients.get(conn);
    if (c != null) {
      c.send(bytes);
    }
  }

  @Override
  public void closeClient(int conn) {
    ClientConnection c = clients.get(conn);
    if (c != null) {
      c.closeAfterOutput();
    }
  }

  @Override
  public void resetClient(int conn, String reason) {
    log.warn("group {}: connection {} reset: {}", group, conn, reason);
    metrics.reset();
    ClientConnection c = clients.get(conn);
    if (c != null) {
      Thread.ofVirtual().start(c::reset); // not under the comparator's lock
    }
  }

  @Override
  public void mismatch(Mismatch m) {
    mismatches.incrementAndGet();
    metrics.mismatch(m.kind());
    events.mismatch(m, "/v1/groups/" + group + "/mismatches");
    selfCheckpoint.requested(System.nanoTime());
    log.info(
        "group {}: {} mismatch on connection {} at offset {} of interval {}: {}",
        group,
        m.kind(),
        m.conn(),
        m.offset(),
        m.interval(),
        m.detail());
  }

  @Override
  public void pressure(int conn, boolean over, long bytes) {
    if (conn >= 0) {
      ClientConnection c = clients.get(conn);
      if (c != null) {
        backpressure.held(c, over, bytes);
      }
    } else {
      backpressure.held(over, bytes);
    }
  }

  @Override
  public void buffered(long bytes) {
    backpressure.outputBuffered(bytes);
  }
}
