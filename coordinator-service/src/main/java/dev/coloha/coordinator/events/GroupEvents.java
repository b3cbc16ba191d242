package dev.coloha.coordinator.events;

import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.store.CoordinatorStore;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Publishes group events to subscribers and keeps a bounded history, persisted like the groups
 * themselves (a coordinator restart keeps it).
 */
public final class GroupEvents {
  private final int historySize;
  private final CoordinatorStore store;
  private final ArrayDeque<GroupEvent> history = new ArrayDeque<>();
  private final List<Consumer<GroupEvent>> subscribers = new CopyOnWriteArrayList<>();

  public GroupEvents(int historySize, CoordinatorStore store) {
    this.historySize = historySize;
    this.store = store;
    history.addAll(store.events(historySize));
  }

  public void publish(GroupEvent e) {
    publish(e, null);
  }

  /**
   * Saves {@code saved} (when not null) with the event in one write of the store, then publishes
   * the event.
   */
  public void publish(GroupEvent e, Group saved) {
    synchronized (history) {
      if (saved == null) {
        store.append(e, historySize);
      } else {
        store.save(saved, e, historySize);
      }
      history.addLast(e);
      while (history.size() > historySize) {
        history.removeFirst();
      }
    }
    for (Consumer<GroupEvent> s : subscribers) {
      try {
        s.accept(e);
      } catch (RuntimeException gone) {
        subscribers.remove(s);
      }
    }
  }

  /** Subscribes; returns a handle that unsubscribes. */
  public Runnable subscribe(Consumer<GroupEvent> subscriber) {
    subscribers.add(subscriber);
    return () -> subscribers.remove(subscriber);
  }

  /** Recent events, oldest first, of one group or (null) of all. */
  public List<GroupEvent> history(String group) {
    synchronized (history) {
      return history.stream().filter(e -> group == null || e.group().equals(group)).toList();
    }
  }
}
