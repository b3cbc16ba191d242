package dev.coloha.microvm.conn;

/**
 * Host-side state of one guest connection: what input arrived, what the guest consumed and
 * produced, and where it is in its life. Owned by the VM's thread, except for {@link #inputHeld},
 * which flow control flips from any thread.
 */
public final class GuestConnection {
  final int id;
  final InputJournal input;

  /** Host received the connection's open. */
  boolean openReceived;

  /** Guest saw colo_on_open. */
  boolean opened;

  /** Host received the client's close; input ends at {@link InputJournal#end()}. */
  boolean closeReceived;

  /** Guest saw colo_on_close (kept only while journaling). */
  boolean closeDelivered;

  /** Guest called colo_close. */
  boolean guestClosed;

  /** Input bytes delivered to the guest. */
  long consumed;

  /** Offset of the next input byte expected from the outside. */
  long received;

  /** Output bytes the guest produced. */
  long produced;

  /** Whether the connection sits in the dispatcher's run queue. */
  boolean queued;

  /** Flow control: the client is not reading, do not deliver more input. */
  volatile boolean inputHeld;

  GuestConnection(int id) {
    this.id = id;
    this.input = new InputJournal(0);
  }

  public int id() {
    return id;
  }

  public long consumed() {
    return consumed;
  }

  public long produced() {
    return produced;
  }

  public boolean opened() {
    return opened;
  }

  public boolean guestClosed() {
    return guestClosed;
  }

  public boolean inputHeld() {
    return inputHeld;
  }

  public void holdInput(boolean held) {
    inputHeld = held;
  }

  /** Whether the guest has work for this connection now. */
  boolean runnable() {
    if (!openReceived && !opened) {
      return false;
    }
    if (!opened) {
      return true;
    }
    if (closeDelivered || guestClosed) {
      return false;
    }
    if (consumed < input.end() && !inputHeld) {
      return true;
    }
    return closeReceived && consumed >= input.end();
  }

  /** Whether the connection is over: the client closed, and the guest was told or closed first. */
  boolean finished() {
    return closeReceived && (closeDelivered || guestClosed);
  }

  @Override
  public String toString() {
    return "conn "
        + id
        + " [in "
        + consumed
        + "/"
        + input.end()
        + ", out "
        + produced
        + (opened ? ", open" : "")
        + (guestClosed ? ", guest-closed" : "")
        + (closeReceived ? ", peer-closed" : "")
        + "]";
  }
}
