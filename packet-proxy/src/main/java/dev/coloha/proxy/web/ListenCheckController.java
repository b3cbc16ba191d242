package dev.coloha.proxy.web;

import dev.coloha.proxy.group.Groups;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * Lets the coordinator ask, before it accepts a group, whether this proxy could serve it on an
 * address and port (409 when the port is taken, 400 when the address is not the host's).
 */
@RestController
@Tag(name = "groups")
public class ListenCheckController {
  private final Groups groups;

  public ListenCheckController(Groups groups) {
    this.groups = groups;
  }

  /**
   * {@code POST /v1/listen-checks}.
   *
   * @param address bind address, an IPv4 or IPv6 literal
   * @param port TCP port
   */
  record ListenCheck(
      @NotBlank @Size(max = 64) String address, @NotNull @Min(1) @Max(65535) Integer port) {}

  /** The address and port are free for a group. */
  record ListenFree(String address, int port, boolean free) {}

  @PostMapping("/v1/listen-checks")
  @Operation(
      summary =
          "Could a group listen on this address and port? 200 if so, 409 if the port is taken"
              + " (changes nothing)")
  public ListenFree check(@Valid @RequestBody ListenCheck r) {
    groups.checkListen(r.address(), r.port());
    return new ListenFree(r.address(), r.port(), true);
  }
}
