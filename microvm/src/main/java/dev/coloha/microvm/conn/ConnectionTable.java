package dev.coloha.microvm.conn;

import dev.coloha.wire.checkpoint.ConnectionState;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every connection of one VM, its run queue, and the bookkeeping that lets a secondary reposition
 * its input to a primary's checkpoint. Used by the VM's thread only.
 *
 * <p>While {@link #journaling()} (secondary), consumed input is kept until the next applied
 * checkpoint and connections whose close was delivered stay until then, so that a checkpoint can
 * rewind them. Otherwise (primary, standalone) consumed input is dropped at once.
 *
 * <p>Over 400 lines on purpose: the run queue, each connection's input and the journal that lets a
 * secondary reposition its input change together at every event and every applied checkpoint;
 * apart, every caller would have to keep them in step.
 */
public final class ConnectionTable {
  private final Map<Integer, GuestConnection> connections = new HashMap<>();
  private final ArrayDeque<GuestConnection> runQueue = new ArrayDeque<>();
  private final List<Integer> tombstones = new ArrayList<>();
  private final LinkedHashSet<Integer> dead = new LinkedHashSet<>();
  private final int maxConnections;
  private final int maxDead;
  private boolean journaling;
  private int highestId;
  private boolean gated;

  public ConnectionTable(int maxConnections, int maxDead) {
    this.maxConnections = maxConnections;
    this.maxDead = maxDead;
  }

  public boolean journaling() {
    return journaling;
  }

  /** Switches journaling on (secondary) or off (primary: the journal is dropped). */
  public void journaling(boolean on) {
    journaling = on;
    if (!on) {
      for (Iterator<GuestConnection> it = connections.values().iterator(); it.hasNext(); ) {
        GuestConnection c = it.next();
        c.input.trim(c.consumed);
        if (c.finished()) {
          it.remove();
          tombstones.add(c.id);
        }
      }
    }
  }

  public GuestConnection get(int id) {
    return connections.get(id);
  }

  public Collection<GuestConnection> all() {
    return connections.values();
  }

  public int size() {
    return connections.size();
  }

  /** The highest connection id this VM has seen or inherited from a checkpoint (0 if none). */
  public int highestId() {
    return highestId;
  }

  /** Bytes of input held (received, not yet trimmed) over all connections. */
  public long bufferedInput() {
    long n = 0;
    for (GuestConnection c : connections.values()) {
      n += c.input.size();
    }
    return n;
  }

  // ---- input from the outside ------------------------------------------------------------------

  /** Applies one input event. Throws {@link InputProtocolException} and changes nothing if bad. */
  public void receive(InputEvent event) {
    int id = event.conn();
    highestId = Math.max(highestId, id);
    if (dead.contains(id)) {
      if (event instanceof InputEvent.Close) {
        dead.remove(id);
      }
      return;
    }
    switch (event) {
      case InputEvent.Open open -> {
        GuestConnection c = connections.get(id);
        if (c == null) {
          if (connections.size() >= maxConnections) {
            throw new InputProtocolException(
                "connection "
                    + id
                    + " refused: the VM already has "
                    + maxConnections
                    + " connections");
          }
          c = new GuestConnection(id);
          connections.put(id, c);
        } else if (c.openReceived) {
          throw new InputProtocolException("connection " + id + " opened twice");
        }
        c.openReceived = true;
        schedule(c);
      }
      case InputEvent.Data data -> {
        GuestConnection c = known(id, "data");
        if (c.closeReceived) {
          throw new InputProtocolException("data for connection " + id + " after its close");
        }
        long offset = data.offset();
        byte[] bytes = data.bytes();
        if (offset < c.received && offset + bytes.length > c.received) {
          // overlaps what we have (a feed restarted below our end): keep the new tail only
          bytes = Arrays.copyOfRange(bytes, (int) (c.received - offset), bytes.length);
          offset = c.received;
        }
        if (offset != c.received) {
          if (offset + bytes.length <= c.received) {
            return; // a duplicate of what we have: ignore
          }
          throw new InputProtocolException(
              "connection " + id + ": data at offset " + offset + ", expected " + c.received);
        }
        accept(c, offset, bytes);
        schedule(c);
      }
      case InputEvent.Close close -> {
        GuestConnection c = known(id, "close");
        c.closeReceived = true;
        settle(c);
      }
    }
  }

  private void accept(GuestConnection c, long offset, byte[] bytes) {
    c.received = offset + bytes.length;
    long from = Math.max(offset, c.input.end());
    if (from == offset) {
      c.input.append(bytes);
    } else if (from < c.received) {
      // a checkpoint moved this connection past part of these bytes: keep only the rest
      int skip = (int) (from - offset);
      byte[] rest = new byte[bytes.length - skip];
      System.arraycopy(bytes, skip, rest, 0, rest.length);
      c.input.append(rest);
    }
  }

  private GuestConnection known(int id, String what) {
    GuestConnection c = connections.get(id);
    if (c == null || !c.openReceived && !c.opened) {
      throw new InputProtocolException(what + " for connection " + id + ", which was never opened");
    }
    return c;
  }

  // ---- dispatch -------------------------------------------------------------------------------

  /** Puts a connection in the run queue if it has work and is not there yet. */
  public void schedule(GuestConnection c) {
    if (!c.queued && c.runnable()) {
      c.queued = true;
      runQueue.add(c);
    }
  }

  /** Re-examines every connection (after flow control released one, or a reposition). */
  public void rescheduleAll() {
    for (GuestConnection c : connections.values()) {
      schedule(c);
    }
  }

  /** Closes (or opens) the gate for every connection: while closed, the guest gets no input. */
  public void gate(boolean closed) {
    gated = closed;
    if (!closed) {
      rescheduleAll();
    }
  }

  public boolean gated() {
    return gated;
  }

  /** Whether some connection may have work queued. */
  public boolean hasWork() {
    if (gated) {
      return false;
    }
    for (GuestConnection c : runQueue) {
      if (connections.get(c.id) == c && c.runnable()) {
        return true;
      }
    }
    return false;
  }

  /** Next connection with work, or null. The caller delivers one step and calls {@link #done}. */
  public GuestConnection next() {
    if (gated) {
      return null;
    }
    while (true) {
      GuestConnection c = runQueue.poll();
      if (c == null) {
        return null;
      }
      c.queued = false;
      if (connections.get(c.id) == c && c.runnable()) {
        return c;
      }
    }
  }

  /** Called after one step on {@code c}: drops what is no longer needed and re-queues. */
  public void done(GuestConnection c) {
    if (!journaling) {
      c.input.trim(c.consumed);
    }
    settle(c);
  }

  /** Removes a connection that is over (unless journaling keeps it), or re-queues it. */
  private void settle(GuestConnection c) {
    if (c.finished() && !journaling) {
      connections.remove(c.id);
      tombstones.add(c.id);
      return;
    }
    schedule(c);
  }

  // ---- WASI: the guest pulls (accept, recv) instead of being called --------------------------

  /**
   * The connection a WASI guest's accept takes next: the lowest id whose open arrived and that the
   * guest has not accepted, or null (also while the gate is closed).
   */
  public GuestConnection nextToAccept() {
    if (gated) {
      return null;
    }
    GuestConnection best = null;
    for (GuestConnection c : connections.values()) {
      if (c.openReceived && !c.opened && (best == null || c.id < best.id)) {
        best = c;
      }
    }
    return best;
  }

  /**
   * The connections whose open arrived and that the guest has not accepted, lowest id first (none
   * while the gate is closed): an inetd program's queue.
   */
  public List<GuestConnection> waitingToAccept() {
    if (gated) {
      return List.of();
    }
    List<GuestConnection> out = new ArrayList<>();
    for (GuestConnection c : connections.values()) {
      if (c.openReceived && !c.opened) {
        out.add(c);
      }
    }
    out.sort(java.util.Comparator.comparingInt(GuestConnection::id));
    return out;
  }

  /** Whether the client closed and the guest has read every byte: a read answers end of file. */
  public boolean atEnd(GuestConnection c) {
    return c.closeReceived && c.consumed >= c.input.end();
  }

  /** Whether a read on {@code c} would not wait: input to take, or end of file. */
  public boolean readable(GuestConnection c) {
    if (gated) {
      return false;
    }
    return (pending(c) > 0 && !c.inputHeld) || atEnd(c);
  }

  /** Whether the client's close has arrived. */
  public boolean peerClosed(GuestConnection c) {
    return c.closeReceived;
  }

  /**
   * Empties the run queue, which only an event-driven guest (ABI v1) consumes: a WASI guest asks
   * for its input, so the queue would only grow.
   */
  public void forgetRunQueue() {
    for (GuestConnection c : runQueue) {
      c.queued = false;
    }
    runQueue.clear();
  }

  /** Input bytes received and not yet delivered. */
  public long pending(GuestConnection c) {
    return c.input.end() - c.consumed;
  }

  /** Takes up to {@code max} input bytes for delivery to the guest. */
  public byte[] take(GuestConnection c, int max) {
    byte[] bytes = c.input.read(c.consumed, max);
    c.consumed += bytes.length;
    return bytes;
  }

  /** The guest is being told of the connection's open. */
  public void opening(GuestConnection c) {
    c.opened = true;
  }

  /** The guest is being told of the client's close. */
  public void closing(GuestConnection c) {
    c.closeDelivered = true;
  }

  /** The host gives up on a connection (the guest could not take its input): closed both ways. */
  public void abandon(GuestConnection c) {
    c.guestClosed = true;
    c.closeDelivered = true;
  }

  // ---- guest actions --------------------------------------------------------------------------

  /** Records {@code length} output bytes; returns the offset they start at, or -1 if unknown. */
  public long produced(int id, int length) {
    GuestConnection c = connections.get(id);
    if (c == null || !c.opened || c.guestClosed || c.closeDelivered) {
      return -1;
    }
    long at = c.produced;
    c.produced += length;
    return at;
  }

  /** Records the guest's close; false if the connection is unknown or already closed. */
  public boolean guestClose(int id) {
    GuestConnection c = connections.get(id);
    if (c == null || !c.opened || c.guestClosed || c.closeDelivered) {
      return false;
    }
    c.guestClosed = true;
    if (!journaling) {
      c.input.reset(c.input.end()); // what the guest did not read is never needed
    }
    if (c.closeReceived) {
      settle(c);
    }
    return true;
  }

  // ---- checkpoints ----------------------------------------------------------------------------

  /** Live connections as checkpoint device state. */
  public List<ConnectionState> snapshot() {
    List<ConnectionState> out = new ArrayList<>(connections.size());
    for (GuestConnection c : connections.values()) {
      if (c.closeDelivered) {
        continue; // over for the guest: reported as a tombstone
      }
      out.add(new ConnectionState(c.id, c.opened, c.guestClosed, c.consumed, c.produced));
    }
    out.sort((a, b) -> Integer.compare(a.id(), b.id()));
    return out;
  }

  /** Connections that ended since the last call (and, while journaling, closes delivered). */
  public List<Integer> takeTombstones() {
    List<Integer> out = new ArrayList<>(tombstones);
    for (GuestConnection c : connections.values()) {
      if (c.closeDelivered) {
        out.add(c.id);
      }
    }
    tombstones.clear();
    out.sort(Integer::compare);
    return out;
  }

  /**
   * Repositions every connection to a primary's checkpoint: the guest's view of each connection
   * becomes the primary's, and input resumes at the primary's consumed offset, from the journal
   * (rewind) or by skipping what has not arrived yet.
   *
   * @throws InputProtocolException if the journal no longer holds an offset it must rewind to
   *     (nothing is changed then)
   */
  public void reposition(List<ConnectionState> primary, List<Integer> primaryTombstones) {
    checkReposition(primary, primaryTombstones);
    for (ConnectionState s : primary) {
      highestId = Math.max(highestId, s.id());
    }
    for (int id : primaryTombstones) {
      highestId = Math.max(highestId, id);
    }
    Map<Integer, ConnectionState> byId = new HashMap<>();
    for (ConnectionState s : primary) {
      byId.put(s.id(), s);
    }
    Set<Integer> ended = new HashSet<>(primaryTombstones);
    Set<Integer> known = new HashSet<>(connections.keySet());
    runQueue.clear();
    for (Iterator<GuestConnection> it = connections.values().iterator(); it.hasNext(); ) {
      GuestConnection c = it.next();
      c.queued = false;
      ConnectionState s = byId.get(c.id);
      if (s == null && ended.contains(c.id)) {
        it.remove();
        if (!c.closeReceived) {
          remember(c.id); // its close is still on the way: ignore it when it comes
        }
        continue;
      }
      if (s == null) {
        // the primary had not seen it yet: start over from its open
        c.opened = false;
        c.guestClosed = false;
        c.closeDelivered = false;
        c.consumed = 0;
        c.produced = 0;
        continue;
      }
      moveTo(c, s);
    }
    for (ConnectionState s : primary) {
      if (!connections.containsKey(s.id())) {
        // its open has not reached us yet
        GuestConnection c = new GuestConnection(s.id());
        moveTo(c, s);
        connections.put(s.id(), c);
      }
    }
    for (int id : ended) {
      if (!known.contains(id)) {
        remember(id); // over on the primary before it even reached us
      }
    }
    tombstones.clear();
    rescheduleAll();
  }

  /**
   * Checks that {@link #reposition} can succeed: every connection the primary has not finished must
   * be rewindable to the primary's consumed offset from this journal.
   *
   * @throws InputProtocolException if not
   */
  public void checkReposition(List<ConnectionState> primary, List<Integer> primaryTombstones) {
    Map<Integer, ConnectionState> byId = new HashMap<>();
    for (ConnectionState s : primary) {
      byId.put(s.id(), s);
    }
    Set<Integer> ended = new HashSet<>(primaryTombstones);
    for (GuestConnection c : connections.values()) {
      ConnectionState s = byId.get(c.id);
      if (s == null && ended.contains(c.id)) {
        continue;
      }
      long target = s == null ? 0 : s.inputConsumed();
      if (target < c.input.start()) {
        throw new InputProtocolException(
            "connection "
                + c.id
                + ": cannot rewind to "
                + target
                + ", journal starts at "
                + c.input.start());
      }
    }
  }

  /** Reports tombstones again (their checkpoint never reached the secondary). */
  public void restoreTombstones(List<Integer> ids) {
    tombstones.addAll(ids);
  }

  private void moveTo(GuestConnection c, ConnectionState s) {
    c.opened = s.opened();
    c.guestClosed = s.guestClosed();
    c.closeDelivered = false;
    c.produced = s.outputProduced();
    c.consumed = s.inputConsumed();
    // input the primary consumed need not come again: a feed may (re)start at that offset
    c.received = Math.max(c.received, c.consumed);
    if (c.consumed
        > c.input
            .end()) { // the primary consumed bytes that have not reached us yet: skip them when
      // they come
      c.input.reset(c.consumed);
    } else {
      c.input.trim(c.consumed);
    }
  }

  /** Drops journal bytes that every future reposition is past (called after an apply). */
  public void trimToConsumed() {
    for (GuestConnection c : connections.values()) {
      c.input.trim(c.consumed);
    }
  }

  private void remember(int id) {
    dead.add(id);
    if (dead.size() > maxDead) {
      Iterator<Integer> it = dead.iterator();
      it.next();
      it.remove();
    }
  }

  /** Forgets everything (a VM replaced by a full checkpoint that knows no connection). */
  public void clear() {
    connections.clear();
    runQueue.clear();
    tombstones.clear();
  }
}
