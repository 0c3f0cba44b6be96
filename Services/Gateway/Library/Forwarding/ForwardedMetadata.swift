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
/// method and every forwarded pair but the request id. Each loop keeps the encodings of its last
/// few callers (a loop serves several client connections, whose calls interleave) and reuses one
/// while a call's method and shared pairs are the same. Only the request id and the timeout are
/// encoded per call.
final class ForwardedHeaders: Sendable {
    /// The shared part of one caller's calls, and what it was encoded from. (A class: reading an
    /// entry out of the array retains it alone, not each of its strings.)
    private final class Entry {
        let method: String
        let metadata: ForwardedMetadata
        let encoded: [UInt8]

        init(method: String, metadata: ForwardedMetadata, encoded: [UInt8]) {
            self.method = method
            self.metadata = metadata
            self.encoded = encoded
        }

        func matches(method: String, metadata: ForwardedMetadata) -> Bool {
            self.method == method && self.metadata.sharesPairs(with: metadata)
        }
    }

    /// A loop's entries; a new one replaces the oldest once there are `capacity`. (Touched by the
    /// loop's thread alone, one access at a time: not checked at run time.)
    private final class Entries {
        @exclusivity(unchecked) var entries: [Entry] = []
        @exclusivity(unchecked) var next = 0
        /// The entry the loop's last call used, tried first.
        @exclusivity(unchecked) var last = 0

        /// The index of the entry for `method` and `metadata`, if one is kept.
        func index(method: String, metadata: ForwardedMetadata) -> Int? {
            if last < entries.count, entries[last].matches(method: method, metadata: metadata) { return last }
            for index in entries.indices where index != last && entries[index].matches(method: method, metadata: metadata) {
                last = index
                return index
            }
            return nil
        }

        /// Keeps `entry`, in place of the oldest when full.
        func keep(_ entry: Entry) {
            if entries.count < ForwardedHeaders.capacity {
                last = entries.count
                entries.append(entry)
            } else {
                last = next
                entries[next] = entry
                next = (next + 1) % ForwardedHeaders.capacity
            }
        }
    }

    /// Entries kept per loop: more than the client connections one loop usually serves.
    static let capacity = 8

    private let perLoop = LoopLocal { Entries() }

    /// Appends the CALL header of a call to `method` with `metadata` and `timeoutMicros`.
    func encode(method: String, metadata: ForwardedMetadata, timeoutMicros: Int64, into buffer: inout [UInt8]) {
        let keptOnLoop: Void? = perLoop.withCurrent { kept in
            if let index = kept.index(method: method, metadata: metadata) {
                buffer.append(contentsOf: kept.entries[index].encoded)
            } else {
                var encoded: [UInt8] = []
                Self.encodeShared(method: method, metadata: metadata, into: &encoded)
                buffer.append(contentsOf: encoded)
                kept.keep(Entry(method: method, metadata: metadata, encoded: encoded))
            }
        }
        if keptOnLoop == nil { Self.encodeShared(method: method, metadata: metadata, into: &buffer) }
        CallHeaderEncoding.appendPair(Metadata.Keys.requestID, metadata.requestID, to: &buffer)
        CallHeaderEncoding.appendTimeout(timeoutMicros, to: &buffer)
    }

    private static func encodeShared(method: String, metadata: ForwardedMetadata, into buffer: inout [UInt8]) {
        CallHeaderEncoding.appendMethod(method, to: &buffer)
        metadata.forEachSharedPair { CallHeaderEncoding.appendPair($0, $1, to: &buffer) }
    }
}
