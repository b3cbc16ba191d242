package dev.coloha.mirror.volume;

/** What volumes report as it happens (metrics); every method is cheap and must not block. */
public interface VolumeObserver {
  /** A VM write was applied locally (and queued for the secondary) in {@code nanos}. */
  default void written(String volume, int bytes, long nanos) {}

  default void read(String volume, int bytes) {}

  /** A secondary took a frame of the primary's (a write, a barrier, resync data). */
  default void received(String volume, int bytes) {}

  /** A secondary committed a barrier, applying {@code writes} hidden writes. */
  default void committed(String volume, long barrier, int writes, long nanos) {}

  default void failedOver(String volume, long epoch) {}

  /** A request was refused with a typed error of this type. */
  default void rejected(String volume, String type) {}

  default void resynced(String volume, long bytes, long nanos) {}

  default void degraded(String volume) {}

  /** A volume was created or opened: its figures can be read from now on. */
  default void added(Volume volume) {}

  default void removed(String volume) {}

  VolumeObserver NONE = new VolumeObserver() {};
}
