import AccessControl
import BackofficeAPI
import RPC
import ServiceRuntime

/// Checks about who is calling: the principal the gateway signed (`context.principal`).
enum Caller {
    /// The caller, or UNAUTHENTICATED when there is none (development mode, or an anonymous
    /// principal): methods that act for someone need one.
    static func require(_ caller: Auth.Principal?) throws(RPCError) -> Auth.Principal {
        guard let caller, !caller.isAnonymous else {
            throw RPCError(.unauthenticated, "this method needs an authenticated caller")
        }
        return caller
    }

    /// Throws PERMISSION_DENIED naming the first of `permissions` (sorted) that `caller` does not
    /// hold: nobody grants what they do not hold. Services of the suite are trusted.
    static func ensureCanGrant(_ permissions: Set<Permission>, caller: Auth.Principal, what: String) throws(RPCError) {
        guard caller.kind != .service else { return }
        let held = Set(caller.permissions)
        if let missing = permissions.sorted().first(where: { !held.contains($0.rawValue) }) {
            throw RPCError(
                .permissionDenied, "cannot grant \(what): it includes permission \(missing.rawValue), which the caller does not hold")
        }
    }
}

extension ServerContext {
    /// The client's address: what the gateway passed in `SuiteMetadata.clientAddress`, else the
    /// connection's peer.
    var clientAddress: String {
        if let forwarded = metadata[SuiteMetadata.clientAddress], !forwarded.isEmpty { return forwarded }
        return peer
    }
}

/// Helpers for the text forms of addresses and identifiers.
enum AddressText {
    /// The host part of `host:port` (`[::1]:80` gives `[::1]`), what throttling counts by.
    static func host(of address: String) -> String {
        guard let colon = address.lastIndex(of: ":") else { return address }
        let host = address[..<colon]
        // An IPv6 address without brackets has several colons and no port.
        if !host.hasPrefix("["), host.contains(":") { return address }
        return host.isEmpty ? address : String(host)
    }
}

/// Random, opaque ids: a prefix and 16 random bytes in hex.
enum RandomID {
    /// `prefix` + 32 lowercase hex characters.
    static func make(_ prefix: String) -> String {
        prefix + SecureRandomHex.hex(byteCount: 16)
    }
}
