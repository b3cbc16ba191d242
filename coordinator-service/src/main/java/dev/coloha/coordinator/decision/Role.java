package dev.coloha.coordinator.decision;

/** Which of a group's two replicas a signal or an action is about. */
public enum Role {
  PRIMARY,
  SECONDARY
}
