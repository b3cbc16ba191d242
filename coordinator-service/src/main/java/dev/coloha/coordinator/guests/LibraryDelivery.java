package dev.coloha.coordinator.guests;

import dev.coloha.coordinator.remote.AgentClient;
import dev.coloha.coordinator.remote.Remote;
import dev.coloha.coordinator.remote.Remote.Idempotence;
import dev.coloha.coordinator.remote.RemoteException;
import dev.coloha.coordinator.remote.UnreachableException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/**
 * Delivers library guests to agents: asks the agent for the guest's hash and, unless it already has
 * the library's module, uploads it ({@code PUT /v1/guests/{name}} on the agent), then checks the
 * hash the agent computed. A guest not in the library is left to the agent (its bundled guests).
 */
public final class LibraryDelivery implements GuestDelivery {
  private final GuestLibrary library;
  private final Remote remote;
  private final Duration timeout;

  public LibraryDelivery(GuestLibrary library, Remote remote, Duration timeout) {
    this.library = library;
    this.remote = remote;
    this.timeout = timeout;
  }

  @Override
  public boolean holds(String guest) {
    return library.find(guest).isPresent();
  }

  @Override
  public Optional<String> abi(String guest) {
    return library.find(guest).map(LibraryGuest::abi);
  }

  @Override
  public void deliver(String agentUrl, String guest) {
    Optional<LibraryGuest> g = library.find(guest);
    if (g.isEmpty()) {
      return;
    }
    String hash = g.get().hash();
    if (hash.equals(agentHash(agentUrl, guest))) {
      return;
    }
    String uploaded = upload(agentUrl, guest, library.module(hash));
    if (!hash.equals(uploaded)) {
      throw new GuestDeliveryException(
          "agent "
              + agentUrl
              + " holds guest '"
              + guest
              + "' as "
              + uploaded
              + ", the library as "
              + hash);
    }
  }

  private String agentHash(String agentUrl, String guest) {
    try {
      Map<?, ?> view =
          remote.call(
              AgentClient.target(agentUrl),
              Idempotence.IDEMPOTENT,
              "GET",
              agentUrl + "/v1/guests/" + guest,
              null,
              Map.class,
              timeout);
      return view == null ? null : String.valueOf(view.get("sha256"));
    } catch (RemoteException e) {
      if (e.status() == 404 || e.status() == 422) {
        return null; // the agent does not know it (or holds a module it cannot load)
      }
      throw e;
    }
  }

  private String upload(String agentUrl, String guest, byte[] module) {
    String url = agentUrl + "/v1/guests/" + guest;
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(timeout)
            .header("Content-Type", "application/wasm")
            .PUT(HttpRequest.BodyPublishers.ofByteArray(module));
    remote.token().headers().forEach(b::header);
    try {
      HttpResponse<String> r = remote.http().send(b.build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() / 100 != 2) {
        throw new GuestDeliveryException(
            "agent "
                + agentUrl
                + " refused guest '"
                + guest
                + "': "
                + r.statusCode()
                + " "
                + r.body());
      }
      JsonNode view = remote.json().readTree(r.body());
      return view.path("sha256").asString();
    } catch (IOException e) {
      throw new UnreachableException(AgentClient.target(agentUrl), "PUT /v1/guests/" + guest, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UnreachableException(AgentClient.target(agentUrl), "PUT /v1/guests/" + guest, e);
    }
  }
}
