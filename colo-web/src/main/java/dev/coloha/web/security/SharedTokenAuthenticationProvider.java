package dev.coloha.web.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.core.Authentication;

/**
 * Checks an offered {@code Authorization} header against {@code Bearer <colo.security.token>}, in
 * constant time ({@link MessageDigest#isEqual}: how long the check takes says nothing of how much
 * of the token was right).
 */
public final class SharedTokenAuthenticationProvider implements AuthenticationProvider {
  private final byte[] expected;

  public SharedTokenAuthenticationProvider(SecurityProperties props) {
    this.expected = ("Bearer " + props.token()).getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public Authentication authenticate(Authentication authentication) {
    Object header = authentication.getCredentials();
    byte[] offered =
        header == null ? new byte[0] : header.toString().getBytes(StandardCharsets.UTF_8);
    if (!MessageDigest.isEqual(expected, offered)) {
      throw new BadCredentialsException("wrong token");
    }
    return SharedTokenAuthentication.verified();
  }

  @Override
  public boolean supports(Class<?> authentication) {
    return SharedTokenAuthentication.class.isAssignableFrom(authentication);
  }
}
