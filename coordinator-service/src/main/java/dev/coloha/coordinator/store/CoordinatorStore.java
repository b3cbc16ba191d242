package dev.coloha.coordinator.store;

import dev.coloha.coordinator.events.GroupEvent;
import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.Host;
import java.util.List;
import java.util.Optional;

/**
 * Where the coordinator keeps what must survive its restart: groups (with their epochs), hosts and
 * the groups' history. Every save is durable when it returns: an epoch is saved before it is used.
 * The embedded database implements it here; a distributed store (etcd, a replicated SQL database)
 * can too.
 */
public interface CoordinatorStore {
  List<Group> groups();

  Optional<Group> group(String id);

  void save(Group group);

  void delete(String groupId);

  List<Host> hosts();

  void save(Host host);

  /** Appends a group event to the persisted history, keeping the newest {@code keep} only. */
  void append(GroupEvent event, int keep);

  /**
   * Saves the group and appends its history event (keeping the newest {@code keep}), both durable
   * when it returns; one write where the store can (a new epoch and its event are on the failover's
   * path: the clients wait for it).
   */
  default void save(Group group, GroupEvent event, int keep) {
    save(group);
    append(event, keep);
  }

  /** The newest {@code limit} events of the persisted history, oldest first. */
  List<GroupEvent> events(int limit);
}
