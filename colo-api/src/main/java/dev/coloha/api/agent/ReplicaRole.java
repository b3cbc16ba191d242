package dev.coloha.api.agent;

/** A VM's part in a protected group, on its agent. */
public enum ReplicaRole {
  /** Not paired: a standalone VM, or a primary whose secondary is gone. */
  SOLO,
  /** Runs the service and checkpoints to its secondary. */
  PRIMARY,
  /** Runs in parallel and applies the primary's checkpoints. */
  SECONDARY
}
