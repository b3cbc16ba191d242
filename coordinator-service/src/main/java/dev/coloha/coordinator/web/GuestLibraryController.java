package dev.coloha.coordinator.web;

import dev.coloha.coordinator.config.GuestLibraryProperties;
import dev.coloha.coordinator.group.GroupService;
import dev.coloha.coordinator.guests.GuestInUseException;
import dev.coloha.coordinator.guests.GuestLibrary;
import dev.coloha.coordinator.guests.GuestNotInLibraryException;
import dev.coloha.coordinator.guests.LibraryGuest;
import dev.coloha.web.upload.ModuleUpload;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/** The guest library: modules groups can run, delivered to agents by hash (docs/api.md). */
@RestController
@Tag(name = "guests")
@RequestMapping("/v1/guests")
public class GuestLibraryController {
  private final GuestLibrary library;
  private final GroupService groups;
  private final long maxModuleBytes;

  public GuestLibraryController(
      GuestLibrary library, GroupService groups, GuestLibraryProperties props) {
    this.library = library;
    this.groups = groups;
    this.maxModuleBytes = props.maxModuleSize().toBytes();
  }

  @GetMapping
  @Operation(summary = "Guests in the library")
  public List<LibraryGuest> list() {
    return library.list();
  }

  @GetMapping("/{name}")
  @Operation(summary = "A guest of the library: name, hash, abi, size")
  public LibraryGuest get(@PathVariable String name) {
    return library.find(name).orElseThrow(() -> new GuestNotInLibraryException("guest " + name));
  }

  @GetMapping(value = "/{name}/module", produces = "application/wasm")
  @Operation(summary = "The module that runs (for a WASI guest: instrumented with Asyncify)")
  public ResponseEntity<byte[]> module(@PathVariable String name) {
    LibraryGuest g = get(name);
    return ResponseEntity.ok()
        .contentType(MediaType.parseMediaType("application/wasm"))
        .header("ETag", "\"" + g.hash() + "\"")
        .body(library.module(g.hash()));
  }

  @PutMapping(
      value = "/{name}",
      consumes = {"application/wasm", "application/octet-stream"})
  @ResponseStatus(HttpStatus.CREATED)
  @Operation(
      summary =
          "Upload a guest (guest ABI v1, or a WASI command, instrumented with Asyncify unless it"
              + " is); stored by the hash of the module that runs")
  public LibraryGuest put(@PathVariable String name, InputStream body) throws IOException {
    byte[] bytes = ModuleUpload.read(body, maxModuleBytes);
    return library.put(name, bytes);
  }

  @DeleteMapping("/{name}")
  @ResponseStatus(HttpStatus.NO_CONTENT)
  @Operation(summary = "Remove a guest that no group runs")
  public void delete(@PathVariable String name) {
    List<String> users =
        groups.list().stream().filter(g -> g.spec().guest().equals(name)).map(g -> g.id()).toList();
    if (!users.isEmpty()) {
      throw new GuestInUseException(name, users);
    }
    if (!library.delete(name)) {
      throw new GuestNotInLibraryException("guest " + name);
    }
  }
}
