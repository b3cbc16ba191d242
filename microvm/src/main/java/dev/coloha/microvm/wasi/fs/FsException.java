package dev.coloha.microvm.wasi.fs;

/** A file system call refused or failed, with the WASI errno to answer. */
public final class FsException extends Exception {
  private final int errno;

  public FsException(int errno, String message) {
    super(message, null, false, false);
    this.errno = errno;
  }

  public int errno() {
    return errno;
  }
}
