package dev.coloha.microvm.wasi.fs;

/** The WASI preview 1 errno values of file system calls. */
public final class FsErrno {
  public static final int BADF = 8;
  public static final int EXIST = 20;
  public static final int FBIG = 22;
  public static final int INVAL = 28;
  public static final int IO = 29;
  public static final int ISDIR = 31;
  public static final int NAMETOOLONG = 37;
  public static final int NOENT = 44;
  public static final int NOSPC = 51;
  public static final int NOTDIR = 54;
  public static final int NOTEMPTY = 55;
  public static final int NOTCAPABLE = 76;

  private FsErrno() {}
}
