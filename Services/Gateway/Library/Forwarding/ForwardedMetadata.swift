import RPC
import ServiceRuntime

/// The metadata a forwarded call carries: the client's pairs without its credential, its request
/// id and anything under `x-backoffice-` (which only the gateway sets), then the client's address,
/// the signed principal and the request id (the client's, or the gateway's own).
///
/// A relayed call writes these pairs straight into its CALL header: all but the request id from
/// the bytes its loop encoded for the previous call when they are the same (`ForwardedHeaders`),
/// which a client's calls on one connection almost always are. Only the calls forwarded from a
/// task build a `Metadata` of them.
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
        forEachSharedPair(body)
        body(Metadata.Keys.requestID, requestID)
    }

    /// The pairs the calls of one client connection share: all but the request id.
    func forEachSharedPair(_ body: (_ key: String, _ value: String) -> Void) {
        for (key, value) in client where Self.passesOn(key) { body(key, value) }
        body(SuiteMetadata.clientAddress, clientAddress)
        if let signature { body(PrincipalSigner.metadataKey, signature) }
    }

    /// Whether the calls with `self` and `other` share their pairs but the request id.
    func sharesPairs(with other: ForwardedMetadata) -> Bool {
        clientAddress == other.clientAddress && signature == other.signature && client.hasSamePairs(as: other.client)
    }

    /// The same pairs as a `Metadata`.
    public var metadata: Metadata {
        var metadata = Metadata()
        metadata.reserveCapacity(client.count + 3)
        forEachPair { metadata.append(lowercasedKey: $0, value: $1) }
        return metadata
    }
}

/// The CALL headers of relayed calls, written from the part they share encoded once per loop: the
/// method and every forwarded pair but the request id, kept for the loop's last call and reused
/// while the next call's are the same. Only the request id and the timeout are encoded per call.
final class ForwardedHeaders: Sendable {
    /// A loop's last shared part, and what it was encoded from.
    private final class Last {
        var method = ""
        var metadata: ForwardedMetadata?
        var encoded: [UInt8] = []
    }

    private let last = LoopLocal { Last() }

    /// Appends the CALL header of a call to `method` with `metadata` and `timeoutMicros`.
    func encode(method: String, metadata: ForwardedMetadata, timeoutMicros: Int64, into buffer: inout [UInt8]) {
        if let last = last.current {
            // Compared in place: the kept metadata is not copied (each copy retains its strings).
            if last.method != method || last.metadata?.sharesPairs(with: metadata) != true {
                last.method = method
                last.metadata = metadata
                last.encoded.removeAll(keepingCapacity: true)
                Self.encodeShared(method: method, metadata: metadata, into: &last.encoded)
            }
            buffer.append(contentsOf: last.encoded)
        } else {
            Self.encodeShared(method: method, metadata: metadata, into: &buffer)
        }
        CallHeaderEncoding.appendPair(Metadata.Keys.requestID, metadata.requestID, to: &buffer)
        CallHeaderEncoding.appendTimeout(timeoutMicros, to: &buffer)
    }

    private static func encodeShared(method: String, metadata: ForwardedMetadata, into buffer: inout [UInt8]) {
        CallHeaderEncoding.appendMethod(method, to: &buffer)
        metadata.forEachSharedPair { CallHeaderEncoding.appendPair($0, $1, to: &buffer) }
    }
}
