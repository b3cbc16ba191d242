package dev.coloha.web.security;

import java.util.List;
import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;

/**
 * A caller's {@code Authorization} header before it is checked ({@link #offered}) and the caller
 * once it carried the deployment's shared token ({@link #verified}): every COLO HA service and
 * client that knows the token is the same principal, {@code colo}.
 */
public final class SharedTokenAuthentication extends AbstractAuthenticationToken {
  static final String PRINCIPAL = "colo";

  private final String header;

  private SharedTokenAuthentication(String header, boolean verified) {
    super(verified ? List.of(new SimpleGrantedAuthority("ROLE_COLO")) : List.of());
    this.header = header;
    setAuthenticated(verified);
  }

  /** What a request offered: its whole {@code Authorization} header, not yet checked. */
  static SharedTokenAuthentication offered(String header) {
    return new SharedTokenAuthentication(header, false);
  }

  static SharedTokenAuthentication verified() {
    return new SharedTokenAuthentication(null, true);
  }

  @Override
  public Object getCredentials() {
    return header;
  }

  @Override
  public Object getPrincipal() {
    return PRINCIPAL;
  }
}
