package dev.coloha.mirror.config;

import dev.coloha.mirror.stream.UnixIoServer;
import dev.coloha.mirror.volume.Volumes;
import org.springframework.context.SmartLifecycle;

/**
 * Closes the volumes first when the mirror stops, before the web server's graceful shutdown waits
 * for requests to finish: every long-lived stream then ends at its next frame or heartbeat (the
 * primary's mirror reconnects later) instead of holding the shutdown for its whole timeout.
 */
public class StreamShutdown implements SmartLifecycle {
  private final Volumes volumes;
  private final UnixIoServer unixIo;
  private volatile boolean running;

  /**
   * @param unixIo the Unix-domain socket's streams, or null
   */
  public StreamShutdown(Volumes volumes, UnixIoServer unixIo) {
    this.volumes = volumes;
    this.unixIo = unixIo;
  }

  @Override
  public void start() {
    running = true;
  }

  @Override
  public void stop() {
    running = false;
    if (unixIo != null) {
      unixIo.close();
    }
    volumes.close();
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  /** Stops before the web server's graceful shutdown phase. */
  @Override
  public int getPhase() {
    return SmartLifecycle.DEFAULT_PHASE;
  }
}
