package dev.coloha.proxy.web;

import dev.coloha.proxy.standby.ProxyRole;
import dev.coloha.proxy.standby.StandbyLock;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Instant;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** This proxy itself: whether it is the active one of a warm standby pair or the standby. */
@RestController
@Tag(name = "proxy")
public class ProxyController {
  private final StandbyLock lock;

  public ProxyController(StandbyLock lock) {
    this.lock = lock;
  }

  /**
   * @param role ACTIVE (serves the groups, beats to the coordinator) or STANDBY (waits for the
   *     pair's lock)
   * @param activeSince when it became active; null while standby
   * @param lockFile the pair's lock file; null for a proxy without a standby
   */
  public record ProxyStatus(ProxyRole role, Instant activeSince, String lockFile) {}

  @GetMapping("/v1/proxy")
  @Operation(summary = "This proxy's role: ACTIVE, or STANDBY waiting for the pair's lock")
  public ProxyStatus status() {
    return new ProxyStatus(
        lock.role(), lock.activeSince(), lock.file() == null ? null : lock.file().toString());
  }
}
