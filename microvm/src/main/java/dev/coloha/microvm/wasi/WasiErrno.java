package dev.coloha.microvm.wasi;

/** The WASI preview 1 errno values the host answers with. */
public final class WasiErrno {
  public static final int SUCCESS = 0;
  public static final int AGAIN = 6;
  public static final int BADF = 8;
  public static final int FAULT = 21;
  public static final int INVAL = 28;
  public static final int IO = 29;
  public static final int MFILE = 33;
  public static final int NOSYS = 52;
  public static final int NOTCONN = 53;
  public static final int NOTSOCK = 57;
  public static final int NOTSUP = 58;
  public static final int PIPE = 64;
  public static final int SPIPE = 70;
  public static final int NOTCAPABLE = 76;

  private WasiErrno() {}
}
