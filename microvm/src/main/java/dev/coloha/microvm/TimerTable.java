package dev.coloha.microvm;

import dev.coloha.wire.checkpoint.TimerState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** A VM's armed one-shot timers, due times on the host's monotonic clock. VM thread only. */
final class TimerTable {
  private final Map<Integer, Long> due = new TreeMap<>();
  private final int max;

  TimerTable(int max) {
    this.max = max;
  }

  boolean set(int id, long dueNanos) {
    if (!due.containsKey(id) && due.size() >= max) {
      return false;
    }
    due.put(id, dueNanos);
    return true;
  }

  void cancel(int id) {
    due.remove(id);
  }

  int size() {
    return due.size();
  }

  /** Nanoseconds until the next timer is due (0 if overdue), or -1 if none is armed. */
  long untilNext(long now) {
    long best = Long.MAX_VALUE;
    for (long d : due.values()) {
      best = Math.min(best, d);
    }
    return best == Long.MAX_VALUE ? -1 : Math.max(0, best - now);
  }

  /** Removes and returns the id of a timer due at {@code now}, or -1. */
  int popDue(long now) {
    for (var e : due.entrySet()) {
      if (e.getValue() <= now) {
        int id = e.getKey();
        due.remove(id);
        return id;
      }
    }
    return -1;
  }

  List<TimerState> snapshot(long now) {
    List<TimerState> out = new ArrayList<>(due.size());
    due.forEach((id, d) -> out.add(new TimerState(id, Math.max(0, d - now))));
    return out;
  }

  void restore(List<TimerState> timers, long now) {
    due.clear();
    for (TimerState t : timers) {
      due.put(t.id(), now + t.remainingNanos());
    }
  }
}
