package dev.coloha.coordinator.store;

import dev.coloha.coordinator.events.GroupEvent;
import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.Host;

/**
 * One record of the coordinator's journal (the JSON body of a frame): a group saved, a host saved,
 * a group deleted or a history event appended, or a group saved with its event (one frame: both or
 * neither after a crash). Fields not in the record are null.
 *
 * @param group a group as saved (replaces the one with its id)
 * @param host a host as saved (replaces the one with its name)
 * @param deleted the id of a group deleted
 * @param event a history event appended
 */
record JournalEntry(Group group, Host host, String deleted, GroupEvent event) {
  static JournalEntry of(Group group) {
    return new JournalEntry(group, null, null, null);
  }

  static JournalEntry of(Host host) {
    return new JournalEntry(null, host, null, null);
  }

  static JournalEntry of(GroupEvent event) {
    return new JournalEntry(null, null, null, event);
  }

  static JournalEntry deletion(String groupId) {
    return new JournalEntry(null, null, groupId, null);
  }
}
