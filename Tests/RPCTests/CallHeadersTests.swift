import Foundation
import ProtoRuntime
import Testing

@testable import RPC

/// The hand-written CALL payload codec against the generated `Wire.CallHeaders` (libprotobuf-c):
/// each reads what the other writes, and malformed payloads are refused as libprotobuf-c refuses
/// them. Also `Metadata`'s case-insensitive pairs.
@Suite
struct CallHeadersTests {
    private func decode(_ bytes: [UInt8]) throws -> CallHeaders {
        try bytes.withUnsafeBytes { try CallHeaders(decoding: $0) }
    }

    @Test func libprotobufCReadsWhatTheCodecWrites() throws {
        let headers = CallHeaders(
            method: "backoffice.echo.Echo/Unary",
            metadata: ["authorization": "Bearer t", "request-id": "r-1", "x-long": String(repeating: "é", count: 200)],
            timeoutMicros: 30_000_000)
        let generated = try headers.encoded.withUnsafeBytes { try Wire.CallHeaders(serializedBytes: $0) }
        #expect(generated.method == headers.method)
        #expect(generated.timeoutMicros == 30_000_000)
        #expect(generated.metadata == headers.metadata.entries)
    }

    @Test func theCodecReadsWhatLibprotobufCWrites() throws {
        var generated = Wire.CallHeaders()
        generated.method = "backoffice.users.Users/Get"
        generated.metadata = ["authorization": "Bearer t", "x-backoffice-client-address": "10.0.0.1:5"]
        generated.timeoutMicros = -5
        let decoded = try decode(generated.serializedBytes())
        #expect(decoded.method == generated.method)
        #expect(decoded.metadata.entries == generated.metadata)
        #expect(decoded.timeoutMicros == -5)
        #expect(try decode([]) == CallHeaders(method: ""))
    }

    @Test func decodingReusesThePreviousCallsStringsOnlyWhenTheBytesMatch() throws {
        let first = CallHeaders(
            method: "backoffice.echo.Echo/Unary",
            metadata: ["authorization": "Bearer a-long-enough-token", "x-backoffice-client-address": "10.0.0.1:5"])
        let previous = try decode(first.encoded)
        // The same headers again: equal, and sharing the previous call's strings.
        let same = try first.encoded.withUnsafeBytes { try CallHeaders(decoding: $0, reusing: previous) }
        #expect(same == previous)
        #expect(Self.sharesStorage(same.method, previous.method))
        #expect(Self.sharesStorage(same.metadata["authorization"]!, previous.metadata["authorization"]!))
        // Other values, a value of another length, other keys and another order: decoded as sent.
        let second = CallHeaders(
            method: "backoffice.echo.Echo/Expand",
            metadata: ["x-backoffice-client-address": "10.0.0.2:5", "authorization": "Bearer a-long-enough-tokeN", "extra": "1"])
        let changed = try second.encoded.withUnsafeBytes { try CallHeaders(decoding: $0, reusing: previous) }
        #expect(changed == second)
        #expect(changed.metadata["authorization"] == "Bearer a-long-enough-tokeN")
        let shorter = CallHeaders(method: "backoffice.echo.Echo/Unar", metadata: ["authorization": "Bearer a"])
        #expect(try shorter.encoded.withUnsafeBytes { try CallHeaders(decoding: $0, reusing: previous) } == shorter)
        // Keys as a raw client may write them, after the previous call's: the same key again, and
        // in capitals. Each is lowered and a repeated key keeps its last value, as without reuse.
        var raw: [UInt8] = []
        CallHeaders.encode(
            method: "backoffice.echo.Echo/Unary",
            metadata: RawPairs(pairs: [
                ("authorization", "Bearer a-long-enough-token"), ("AUTHORIZATION", "Bearer b"), ("X-Backoffice-Client-Address", "c"),
            ]), timeoutMicros: 0, into: &raw)
        let repeated = try raw.withUnsafeBytes { try CallHeaders(decoding: $0, reusing: previous) }
        #expect(repeated == (try decode(raw)))
        #expect(repeated.metadata.entries == ["authorization": "Bearer b", "x-backoffice-client-address": "c"])
        // Malformed bytes are refused with or without a previous call.
        #expect(throws: MalformedCallHeaders.self) {
            try [0x0A, 0x05, 0x61].withUnsafeBytes { try CallHeaders(decoding: $0, reusing: previous) }
        }
    }

    @Test func metadataEqualToThePreviousCallsIsThatCallsOwnAndAnyOtherIsDecodedAsSent() throws {
        let first = CallHeaders(
            method: "backoffice.echo.Echo/Unary", metadata: ["authorization": "Bearer a-long-enough-token", "request-id": "r-1"])
        let previous = try decode(first.encoded)
        // The same pairs: the previous call's array itself, nothing built.
        let same = try first.encoded.withUnsafeBytes { try CallHeaders(decoding: $0, reusing: previous) }
        #expect(same == previous)
        #expect(Self.sharesStorage(same.metadata.orderedPairs, previous.metadata.orderedPairs))
        // Fewer pairs, more pairs, another value, and the same pairs with a key repeated after them.
        let credential = ("authorization", "Bearer a-long-enough-token")
        let variants: [[(String, String)]] = [
            [credential], [credential, ("request-id", "r-1"), ("extra", "1")], [credential, ("request-id", "r-2")],
            [credential, ("request-id", "r-1"), ("Authorization", "Bearer b")],
        ]
        for pairs in variants {
            var raw: [UInt8] = []
            CallHeaders.encode(method: first.method, metadata: RawPairs(pairs: pairs), timeoutMicros: 0, into: &raw)
            let decoded = try raw.withUnsafeBytes { try CallHeaders(decoding: $0, reusing: previous) }
            #expect(decoded == (try decode(raw)))
            #expect(!Self.sharesStorage(decoded.metadata.orderedPairs, previous.metadata.orderedPairs))
        }
        var repeated: [UInt8] = []
        CallHeaders.encode(method: first.method, metadata: RawPairs(pairs: variants[3]), timeoutMicros: 0, into: &repeated)
        let last = try repeated.withUnsafeBytes { try CallHeaders(decoding: $0, reusing: previous) }
        #expect(last.metadata.entries == ["authorization": "Bearer b", "request-id": "r-1"])
    }

    @Test func aConnectionsDecoderReadsOnlyTheFieldsAfterThoseRepeatingTheLastPayload() throws {
        let method = "backoffice.echo.Echo/Unary"
        let base: Metadata = ["authorization": "Bearer a-long-enough-token", "x-backoffice-client-address": "10.0.0.1:5"]
        func payload(_ method: String = method, _ metadata: Metadata = base, timeout: Int64 = 0) -> [UInt8] {
            CallHeaders(method: method, metadata: metadata, timeoutMicros: timeout).encoded
        }
        func baseAdding(_ key: String, _ value: String) -> Metadata {
            var metadata = base
            metadata[key] = value
            return metadata
        }
        var twoTimeouts = payload(timeout: 5)
        CallHeaders.appendTimeout(7, to: &twoTimeouts)
        var timeoutFirst: [UInt8] = []
        CallHeaders.appendTimeout(9, to: &timeoutFirst)
        timeoutFirst += payload()
        var unknownAfter = payload()
        unknownAfter += [0x48, 0x01]  // field 9, a varint
        let oversized = payload(method, baseAdding("x-big", String(repeating: "b", count: CallHeaderDecoder.keptBytes)))
        var upperKey: [UInt8] = []
        CallHeaders.encode(
            method: method, metadata: RawPairs(pairs: [("Authorization", "Bearer a-long-enough-token")]), timeoutMicros: 0,
            into: &upperKey)
        var repeatedKey = payload()
        CallHeaders.appendPair("authorization", "Bearer b", to: &repeatedKey)
        let otherToken = payload(method, ["authorization": "Bearer other", "x-backoffice-client-address": "10.0.0.1:5"])
        var otherScript: [UInt8] = []
        CallHeaders.encode(
            method: method, metadata: RawPairs(pairs: [("authorization", "Bearer a-long-enough-token"), ("x-Ā", "1")]),
            timeoutMicros: 0, into: &otherScript)
        // Each payload after the one before it, as one connection would get them.
        let sequence: [[UInt8]] = [
            payload(), payload(), payload(timeout: 30_000_000), payload(timeout: 1), payload(timeout: -3), payload(),
            payload(timeout: 4), payload(timeout: 4), payload("backoffice.echo.Echo/Expand"), payload(),
            twoTimeouts, payload(timeout: 5), timeoutFirst, payload(timeout: 6), unknownAfter, payload(),
            payload(method, baseAdding("request-id", "r-1")), payload(method, baseAdding("request-id", "r-2"), timeout: 2),
            oversized, oversized, payload(), [], [], payload(),
            upperKey, payload(), repeatedKey, payload(), otherToken, payload(), otherScript, payload(),
        ]
        var decoder = CallHeaderDecoder()
        var previous: CallHeaders?
        for (index, bytes) in sequence.enumerated() {
            let decoded = try bytes.withUnsafeBytes { try decoder.decode($0) }
            let fresh = try decode(bytes)
            #expect(decoded == fresh, "payload \(index)")
            // Pair for pair, keys as stored (`==` ignores case and order).
            let pairs = decoded.metadata.orderedPairs.map { "\($0.key)=\($0.value)" }
            #expect(pairs == fresh.metadata.orderedPairs.map { "\($0.key)=\($0.value)" }, "payload \(index)")
            // A repeat is the last call's headers: their strings, not copies.
            if index == 1 || index == 3, let previous {
                #expect(Self.sharesStorage(decoded.method, previous.method), "payload \(index)")
                #expect(Self.sharesStorage(decoded.metadata.orderedPairs, previous.metadata.orderedPairs), "payload \(index)")
            }
            previous = decoded
        }
        // Decoded in full: the first payload, each one that is not plain (two timeouts, an unknown
        // field, over the size kept, a key in capitals, a key twice, a key outside ASCII), and the
        // one after each of those. The others are read against the last plain payload decoded in
        // full or sharing little with the one before it (the method changed at 8, the timeout
        // came first at 12).
        let inFull = [0, 10, 11, 14, 15, 18, 19, 20, 24, 25, 26, 27, 30, 31]
        #expect(decoder.decodedInFull == inFull.count)
        // After a repeat's prefix: a truncated timeout is refused, and the next payload still decodes.
        var truncated = payload()
        truncated += [0x18, 0xFF]
        #expect(throws: MalformedCallHeaders.self) { try truncated.withUnsafeBytes { try decoder.decode($0) } }
        #expect(try payload(timeout: 8).withUnsafeBytes { try decoder.decode($0) } == (try decode(payload(timeout: 8))))
        #expect(decoder.decodedInFull == inFull.count)
    }

    /// Pairs written as given, duplicates and capitals included (what a raw client may send).
    private struct RawPairs: OutgoingMetadata {
        let pairs: [(String, String)]
        func forEachPair(_ body: (_ key: String, _ value: String) -> Void) { for (key, value) in pairs { body(key, value) } }
    }

    /// Whether two arrays are the same storage rather than equal copies.
    private static func sharesStorage<Element>(_ a: [Element], _ b: [Element]) -> Bool {
        a.withUnsafeBufferPointer { first in b.withUnsafeBufferPointer { second in first.baseAddress == second.baseAddress } }
    }

    /// Whether two (long, heap-stored) strings are the same storage rather than equal copies.
    private static func sharesStorage(_ a: String, _ b: String) -> Bool {
        var a = a
        var b = b
        return a.withUTF8 { first in b.withUTF8 { second in first.baseAddress == second.baseAddress } }
    }

    @Test func keysAreLowerCasedTheLastOfARepeatedKeyWinsAndUnknownFieldsAreSkipped() throws {
        var writer = WireWriter()
        writer.tag(9, .varint)
        writer.varint(77)
        for (key, value) in [("Request-ID", "first"), ("request-id", "second")] {
            var entry = WireWriter()
            entry.tag(1, .lengthDelimited)
            entry.lengthDelimited(Array(key.utf8))
            entry.tag(2, .lengthDelimited)
            entry.lengthDelimited(Array(value.utf8))
            writer.tag(2, .lengthDelimited)
            writer.lengthDelimited(entry.bytes)
        }
        writer.tag(1, .lengthDelimited)
        writer.lengthDelimited(Array("a.B/C".utf8))
        writer.tag(10, .fixed64)
        writer.fixed64(1)
        let decoded = try decode(writer.bytes)
        #expect(decoded.method == "a.B/C")
        #expect(decoded.metadata.count == 1)
        #expect(decoded.metadata["REQUEST-ID"] == "second")
    }

    @Test(
        arguments: [
            [0x0A, 0x05, 0x61],  // a string longer than what is left
            [0x0A],  // a tag without its field
            [0x18, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],  // an 11-byte varint
            [0x08, 0x01],  // the method (field 1) as a varint
            [0x1A, 0x00],  // the timeout (field 3) as bytes
            [0x0A, 0x02, 0xC3, 0x28],  // a method that is not UTF-8
            [0x13, 0x14],  // a group
            [0x12, 0x03, 0x0A, 0x01, 0xFF],  // a metadata key that is not UTF-8
        ] as [[UInt8]])
    func malformedPayloadsAreRefusedLikeLibprotobufCRefusesThem(_ bytes: [UInt8]) {
        #expect(throws: MalformedCallHeaders.self) { try decode(bytes) }
        #expect(throws: (any Error).self) { try bytes.withUnsafeBytes { try Wire.CallHeaders(serializedBytes: $0) } }
    }

    @Test func metadataIsCaseInsensitiveAndComparesWithoutOrder() {
        var metadata: Metadata = ["Authorization": "Bearer a"]
        metadata["X-Custom"] = "1"
        #expect(metadata["authorization"] == "Bearer a")
        #expect(metadata["Authorization"] == "Bearer a" && metadata["X-CUSTOM"] == "1" && metadata["Missing"] == nil)
        #expect(metadata.entries == ["authorization": "Bearer a", "x-custom": "1"])
        metadata["AUTHORIZATION"] = "Bearer b"
        #expect(metadata.count == 2)
        #expect(metadata["authorization"] == "Bearer b")
        #expect(metadata == ["x-custom": "1", "authorization": "Bearer b"])
        #expect(Set([metadata, ["x-custom": "1", "authorization": "Bearer b"]]).count == 1)
        metadata["x-custom"] = nil
        #expect(metadata.entries == ["authorization": "Bearer b"])
        #expect(metadata.filter { $0 != "authorization" }.isEmpty)
    }
}
