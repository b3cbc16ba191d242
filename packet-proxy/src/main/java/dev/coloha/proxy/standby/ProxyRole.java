package dev.coloha.proxy.standby;

/**
 * What a proxy of a warm pair is: the {@code ACTIVE} one holds the standby lock, beats as the
 * serving proxy and is given the groups; a {@code STANDBY} one serves its admin API only and waits
 * for the lock. A proxy without a lock file is always {@code ACTIVE}.
 */
public enum ProxyRole {
  ACTIVE,
  STANDBY
}
