package dev.coloha.proxy.compare;

/** Why a connection's outputs are said to differ. */
public enum MismatchKind {
  /** The first byte where the replicas' output differs, at the same offset in the same interval. */
  CONTENT,
  /** One replica's output was ahead of the other's for longer than the compare timeout. */
  TIMEOUT,
  /** One replica closed the connection and the other did not, or not at the same offset. */
  CLOSE
}
