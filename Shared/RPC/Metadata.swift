/// The pairs a call sends in its CALL header, in order: a `Metadata`, or a proxy's own type that
/// writes what it forwards straight into the header, without a `Metadata` built for every call
/// (`RPCClient.relay`).
public protocol OutgoingMetadata: Sendable {
    /// Calls `body` with each pair in turn; keys lower-case and distinct.
    func forEachPair(_ body: (_ key: String, _ value: String) -> Void)

    /// Appends the CALL header payload of a call to `method` carrying these pairs and
    /// `timeoutMicros` (0: none). By default the pairs are encoded as `forEachPair` gives them; a
    /// proxy may append a part many of its calls share, encoded once (`CallHeaderEncoding`).
    func encodeCallHeaders(method: String, timeoutMicros: Int64, into buffer: inout [UInt8])
}

extension OutgoingMetadata {
    public func encodeCallHeaders(method: String, timeoutMicros: Int64, into buffer: inout [UInt8]) {
        CallHeaders.encode(method: method, metadata: self, timeoutMicros: timeoutMicros, into: &buffer)
    }
}

/// Per-call key-value pairs sent with a call (authorization, request id, caller...) or with its
/// status (trailers). Keys are case-insensitive and stored lower-case.
///
/// A call carries a handful of pairs, so they are kept in a small array in the order they were
/// set: looking one up compares a few strings, which costs less than hashing them, and a proxy can
/// copy a call's pairs to the next hop without rebuilding a table.
public struct Metadata: OutgoingMetadata, Hashable, ExpressibleByDictionaryLiteral, Sequence {
    public typealias Key = String
    public typealias Value = String
    /// One pair, as iteration yields it.
    public typealias Element = (key: String, value: String)

    private var pairs: [Element]

    public init() { pairs = [] }

    public init(_ entries: [String: String]) {
        pairs = []
        pairs.reserveCapacity(entries.count)
        for (key, value) in entries { self[key] = value }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        pairs = []
        for (key, value) in elements { self[key] = value }
    }

    /// Pairs whose keys are known to be lower-case and distinct (taken from another `Metadata`).
    private init(uncheckedLowercasePairs pairs: [Element]) {
        self.pairs = pairs
    }

    /// The pairs as a dictionary, keys lower-cased.
    public var entries: [String: String] {
        Dictionary(pairs, uniquingKeysWith: { _, last in last })
    }

    /// The value for a key, whatever its case.
    public subscript(key: String) -> String? {
        get {
            // Keys are stored lower-case, and callers mostly ask with a lower-case key (the
            // well-known ones): matched as given first, lowered only when that finds nothing.
            for pair in pairs where pair.key == key { return pair.value }
            // A lower-case key that is not here (a request id the client did not send) is not
            // copied to be lowered first.
            guard Self.needsLowering(key) else { return nil }
            let lowered = key.lowercased()
            for pair in pairs where pair.key == lowered { return pair.value }
            return nil
        }
        set {
            let key = Self.lowercased(key)
            if let index = pairs.firstIndex(where: { $0.key == key }) {
                if let newValue { pairs[index].value = newValue } else { pairs.remove(at: index) }
            } else if let newValue {
                pairs.append((key, newValue))
            }
        }
    }

    /// The pairs in the order they were set.
    var orderedPairs: [Element] { pairs }

    public func forEachPair(_ body: (_ key: String, _ value: String) -> Void) {
        for pair in pairs { body(pair.key, pair.value) }
    }

    /// Whether `other` holds the same pairs in the same order: cheaper than `==`, and enough to
    /// tell that a repeated call's headers need no new encoding.
    public func hasSamePairs(as other: Metadata) -> Bool {
        pairs.count == other.pairs.count && zip(pairs, other.pairs).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    /// Makes room for `count` pairs at once (a decoder or a proxy that knows how many to expect).
    public mutating func reserveCapacity(_ count: Int) { pairs.reserveCapacity(count) }

    public var isEmpty: Bool { pairs.isEmpty }
    public var count: Int { pairs.count }

    public func makeIterator() -> IndexingIterator<[Element]> { pairs.makeIterator() }

    /// The same pairs with the keys `keep` rejects left out, with room for `extra` more pairs
    /// (a proxy's own, added with `append(lowercasedKey:value:)`).
    public func filter(reservingCapacity extra: Int = 0, _ keep: (_ key: String) -> Bool) -> Metadata {
        var kept: [Element] = []
        kept.reserveCapacity(pairs.count + extra)
        for pair in pairs where keep(pair.key) { kept.append(pair) }
        return Metadata(uncheckedLowercasePairs: kept)
    }

    /// Adds a pair whose key is in lower case and not here yet: cheaper than the subscript, which
    /// lowers the key and looks for it first. (A proxy filters the keys it sets out of what it
    /// forwards, then appends them.)
    public mutating func append(lowercasedKey key: String, value: String) {
        assert(key == Self.lowercased(key) && !pairs.contains { $0.key == key }, "\(key) is not lower-case or already set")
        pairs.append((key, value))
    }

    public static func == (lhs: Metadata, rhs: Metadata) -> Bool {
        lhs.count == rhs.count && lhs.entries == rhs.entries
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(entries)
    }

    /// `key` in lower case; no copy when it already is (the usual case: the well-known keys).
    static func lowercased(_ key: String) -> String {
        needsLowering(key) ? key.lowercased() : key
    }

    /// Whether `key` has an upper-case letter, or anything beyond ASCII that `lowercased()` might change.
    private static func needsLowering(_ key: String) -> Bool {
        key.utf8.withContiguousStorageIfAvailable { bytes in bytes.contains { $0 >= 0x41 && $0 <= 0x5A || $0 >= 0x80 } } ?? true
    }

    /// Well-known keys.
    public enum Keys {
        /// The caller's credential: `Bearer <session token>` or `ApiKey <key>`.
        public static let authorization = "authorization"
        /// A caller-chosen id that follows the call through logs and downstream calls.
        public static let requestID = "request-id"
        /// With RESOURCE_EXHAUSTED: how long to wait before trying again, in milliseconds.
        public static let retryAfterMillis = "retry-after-ms"
    }
}
