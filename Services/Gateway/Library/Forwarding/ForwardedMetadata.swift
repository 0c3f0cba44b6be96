import RPC
import ServiceRuntime

/// The metadata a forwarded call carries: the client's pairs without its credential, its request
/// id and anything under `x-backoffice-` (which only the gateway sets), then the client's address,
/// the request id (the client's, or the gateway's own) and the signed principal.
///
/// A relayed call writes these pairs straight into its CALL header (`OutgoingMetadata`); only the
/// calls forwarded from a task build a `Metadata` of them.
public struct ForwardedMetadata: OutgoingMetadata {
    /// The metadata the client sent.
    let client: Metadata
    /// The client's `host:port`.
    let clientAddress: String
    let requestID: String
    /// The signed principal; `nil` when the gateway runs without an internal key.
    let signature: String?

    /// Whether the client's pair `key` goes on to the service.
    static func passesOn(_ key: String) -> Bool {
        key != Metadata.Keys.authorization && key != Metadata.Keys.requestID && !key.hasPrefix("x-backoffice-")
    }

    public func forEachPair(_ body: (_ key: String, _ value: String) -> Void) {
        for (key, value) in client where Self.passesOn(key) { body(key, value) }
        body(SuiteMetadata.clientAddress, clientAddress)
        body(Metadata.Keys.requestID, requestID)
        if let signature { body(PrincipalSigner.metadataKey, signature) }
    }

    /// The same pairs as a `Metadata`.
    public var metadata: Metadata {
        var metadata = Metadata()
        metadata.reserveCapacity(client.count + 3)
        forEachPair { metadata.append(lowercasedKey: $0, value: $1) }
        return metadata
    }
}
