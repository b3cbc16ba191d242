package dev.coloha.agent.web;

import dev.coloha.agent.config.AgentProperties;
import dev.coloha.microvm.guest.GuestCatalog;
import dev.coloha.web.upload.ModuleUpload;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/** Guest modules: the bundled ones and uploads. */
@RestController
@RequestMapping("/v1/guests")
@Tag(name = "guests")
public class GuestController {
  private final GuestCatalog guests;
  private final long maxModuleBytes;

  public GuestController(GuestCatalog guests, AgentProperties props) {
    this.guests = guests;
    this.maxModuleBytes = props.guest().maxModuleSize().toBytes();
  }

  @GetMapping
  @Operation(summary = "Names of the guests this agent can run")
  public List<String> list() {
    return guests.names();
  }

  @GetMapping("/{name}")
  @Operation(summary = "Load (and compile) a guest and describe it")
  public GuestView get(@PathVariable String name) {
    return GuestView.of(guests.get(name));
  }

  @PutMapping(
      value = "/{name}",
      consumes = {"application/wasm", "application/octet-stream"})
  @ResponseStatus(HttpStatus.CREATED)
  @Operation(
      summary =
          "Upload a guest module (guest ABI v1, or a WASI command, instrumented with Asyncify"
              + " unless it is); it is validated and compiled")
  public GuestView upload(@PathVariable String name, InputStream body) throws IOException {
    byte[] bytes = ModuleUpload.read(body, maxModuleBytes);
    return GuestView.of(guests.register(name, bytes));
  }
}
