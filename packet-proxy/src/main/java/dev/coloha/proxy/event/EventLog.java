package dev.coloha.proxy.event;

import dev.coloha.api.proxy.ProxyEvent;
import dev.coloha.api.proxy.ProxyEventType;
import dev.coloha.proxy.compare.Mismatch;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongFunction;

/**
 * A group's events: a bounded history (for subscribers that reconnect with {@code since}), the live
 * subscribers (each with a bounded queue: one that falls too far behind is disconnected, and may
 * reconnect from the history), and the bounded mismatch history with the forensic captures.
 */
public final class EventLog {
  private final String group;
  private final int historySize;
  private final int mismatchHistorySize;
  private final int subscriberBuffer;
  private final long nanosToEpochMicros;
  private final ArrayDeque<ProxyEvent> history = new ArrayDeque<>();
  private final ArrayDeque<MismatchRecord> mismatches = new ArrayDeque<>();
  private final List<Subscription> subscribers = new CopyOnWriteArrayList<>();
  private long lastId;
  private long lastMismatchId;
  private long droppedSubscribers;
  private ProxyEvent pending;

  public EventLog(String group, int historySize, int mismatchHistorySize, int subscriberBuffer) {
    this.group = group;
    this.historySize = historySize;
    this.mismatchHistorySize = mismatchHistorySize;
    this.subscriberBuffer = subscriberBuffer;
    this.nanosToEpochMicros = System.currentTimeMillis() * 1000 - System.nanoTime() / 1000;
  }

  public String group() {
    return group;
  }

  /** Appends an event built from its id. */
  public synchronized ProxyEvent append(LongFunction<ProxyEvent> event) {
    ProxyEvent e = event.apply(++lastId);
    history.add(e);
    while (history.size() > historySize) {
      history.poll();
    }
    for (Subscription s : subscribers) {
      s.offer(e);
    }
    return e;
  }

  /** Records a mismatch in the history and as an event. */
  public synchronized MismatchRecord mismatch(Mismatch m, String pcapBase) {
    long id = ++lastMismatchId;
    MismatchRecord r = new MismatchRecord(id, group, Instant.now(), m, nanosToEpochMicros);
    mismatches.add(r);
    while (mismatches.size() > mismatchHistorySize) {
      mismatches.poll();
    }
    append(
        eid ->
            new ProxyEvent.Mismatch(
                eid,
                ProxyEventType.MISMATCH,
                group,
                r.time(),
                id,
                ProxyEvent.Mismatch.Kind.valueOf(m.kind().name()),
                m.conn(),
                m.interval(),
                m.offset(),
                m.primaryEnd(),
                m.secondaryEnd(),
                Samples.escaped(m.primarySample()),
                Samples.escaped(m.secondarySample()),
                Samples.hex(m.primarySample()),
                Samples.hex(m.secondarySample()),
                m.detail(),
                true,
                pcapBase + "/" + id + "/pcap"));
    return r;
  }

  public synchronized List<MismatchRecord> mismatches() {
    return List.copyOf(mismatches);
  }

  public synchronized MismatchRecord mismatch(long id) {
    for (MismatchRecord r : mismatches) {
      if (r.id() == id) {
        return r;
      }
    }
    return null;
  }

  public synchronized List<ProxyEvent> history() {
    return List.copyOf(history);
  }

  public synchronized long lastId() {
    return lastId;
  }

  public synchronized long droppedSubscribers() {
    return droppedSubscribers;
  }

  /** Live subscribers (a coordinator following the group, or none). */
  public int subscribers() {
    return subscribers.size();
  }

  /**
   * An event that still stands (a checkpoint request nothing has answered yet): a subscriber that
   * comes without {@code since} gets it first, so that a coordinator that starts (or reconnects)
   * learns of it. Null: none.
   */
  public synchronized void pending(ProxyEvent e) {
    pending = e;
  }

  /**
   * A live subscription that first replays the history after {@code since} (-1: none, but the
   * {@linkplain #pending(ProxyEvent) pending} event if there is one).
   */
  public synchronized Subscription subscribe(long since) {
    Subscription s = new Subscription();
    if (since < 0 && pending != null) {
      s.offer(pending);
    }
    if (since >= 0) {
      for (ProxyEvent e : history) {
        if (e.id() > since) {
          s.offer(e);
        }
      }
    }
    subscribers.add(s);
    return s;
  }

  /** Ends every subscription (the group is deleted). */
  public void closeAll() {
    for (Subscription s : subscribers) {
      s.end();
    }
  }

  /** One subscriber's queue. */
  public final class Subscription implements AutoCloseable {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition ready = lock.newCondition();
    private final ArrayDeque<ProxyEvent> queue = new ArrayDeque<>();
    private boolean ended;
    private String endReason;

    void offer(ProxyEvent e) {
      lock.lock();
      try {
        if (ended) {
          return;
        }
        if (queue.size() >= subscriberBuffer) {
          ended = true;
          endReason = "too slow: more than " + subscriberBuffer + " events behind";
          queue.clear();
          synchronized (EventLog.this) {
            droppedSubscribers++;
          }
        } else {
          queue.add(e);
        }
        ready.signalAll();
      } finally {
        lock.unlock();
      }
    }

    void end() {
      lock.lock();
      try {
        ended = true;
        endReason = "group deleted";
        ready.signalAll();
      } finally {
        lock.unlock();
      }
    }

    /**
     * Events available now, waiting up to {@code maxMillis} for the first; empty on timeout; null
     * once the subscription has ended.
     */
    public List<ProxyEvent> poll(long maxMillis) throws InterruptedException {
      lock.lock();
      try {
        long left = TimeUnit.MILLISECONDS.toNanos(maxMillis);
        while (queue.isEmpty() && !ended && left > 0) {
          left = ready.awaitNanos(left);
        }
        if (queue.isEmpty() && ended) {
          return null;
        }
        List<ProxyEvent> out = new ArrayList<>(queue);
        queue.clear();
        return out;
      } finally {
        lock.unlock();
      }
    }

    public String endReason() {
      lock.lock();
      try {
        return endReason;
      } finally {
        lock.unlock();
      }
    }

    @Override
    public void close() {
      subscribers.remove(this);
    }
  }
}
