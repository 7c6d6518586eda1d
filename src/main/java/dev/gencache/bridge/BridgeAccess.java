package dev.gencache.bridge;

import dev.gencache.cluster.Addresses;
import dev.gencache.http.Tokens;
import io.vertx.ext.bridge.BridgeOptions;
import io.vertx.ext.bridge.PermittedOptions;
import java.util.List;

/**
 * Who may do what on a bridge. A connection starts {@link Role#ANONYMOUS} and presents a token on
 * connect: an admin token makes it {@link Role#ADMIN}, an auth token {@link Role#CLIENT}. Without
 * auth tokens configured every connection is a client already (the bridge then serves loopback only).
 */
public final class BridgeAccess {
  public enum Role { ANONYMOUS, CLIENT, ADMIN }

  /** What a frame asks for. */
  public enum Kind { SEND, PUBLISH, REGISTER }

  /** The authority an admin connection holds on the SockJS bridge. */
  public static final String ADMIN_AUTHORITY = "gencache:admin";

  private final Tokens clientTokens;
  private final Tokens adminTokens;

  public BridgeAccess(List<String> clientTokens, List<String> adminTokens) {
    this.clientTokens = new Tokens(clientTokens);
    this.adminTokens = new Tokens(adminTokens);
  }

  public Role initial() {
    return clientTokens.isEmpty() ? Role.CLIENT : Role.ANONYMOUS;
  }

  /** The role a presented token grants, or {@code null} when it is no token of ours. */
  public Role roleFor(String token) {
    if (adminTokens.accepts(token)) {
      return Role.ADMIN;
    }
    return clientTokens.accepts(token) ? Role.CLIENT : null;
  }

  /**
   * Lets {@code options} (a bridge's own, deny-by-default lists) pass the public addresses: requests
   * in, events out, and the admin requests for holders of {@link #ADMIN_AUTHORITY} (the SockJS bridge
   * checks it; the TCP bridge ignores it and its frame guard checks the role instead).
   */
  public static <O extends BridgeOptions> O permitPublicAddresses(O options) {
    Addresses.BRIDGED_REQUESTS.forEach(a -> options.addInboundPermitted(new PermittedOptions().setAddress(a)));
    Addresses.BRIDGED_ADMIN_REQUESTS.forEach(a -> options.addInboundPermitted(
        new PermittedOptions().setAddress(a).setRequiredAuthority(ADMIN_AUTHORITY)));
    Addresses.BRIDGED_EVENTS.forEach(a -> options.addOutboundPermitted(new PermittedOptions().setAddress(a)));
    return options;
  }

  /**
   * Whether {@code role} may send to, publish to or register for {@code address}. Replies to a
   * message the client received are the bridge's business (it allows only reply addresses it handed out).
   */
  public static boolean permits(Role role, Kind kind, String address) {
    if (role == Role.ANONYMOUS || address == null) {
      return false;
    }
    return switch (kind) {
      case SEND -> Addresses.BRIDGED_REQUESTS.contains(address)
          || role == Role.ADMIN && Addresses.BRIDGED_ADMIN_REQUESTS.contains(address);
      case REGISTER -> Addresses.BRIDGED_EVENTS.contains(address);
      case PUBLISH -> false;
    };
  }
}
