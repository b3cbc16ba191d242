package dev.coloha.proxy.web;

import dev.coloha.api.proxy.ListenCheck;
import dev.coloha.api.proxy.ListenFree;
import dev.coloha.proxy.group.Groups;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
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
