package dev.coloha.api.agent;

/** A VM's lifecycle state: the micro-VM's own (microvm uses this type), as its agent shows it. */
public enum VmState {
  /** Instantiated, not started: no event is dispatched. */
  CREATED,
  /** Dispatching events. */
  RUNNING,
  /** Stopped at an event boundary on request; resumes where it left off. */
  PAUSED,
  /** Stopped for good; its thread has ended. */
  STOPPED,
  /** The guest trapped; no further events. */
  CRASHED
}
