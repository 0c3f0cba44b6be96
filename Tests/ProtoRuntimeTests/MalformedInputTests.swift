import BackofficeAPI
import ProtoRuntime
import RPC
import Testing

/// Bytes that are not a valid encoding: decoding throws `ProtoDecodingError` and never crashes.
@Suite struct MalformedInputTests {
    /// A named sample of invalid bytes, for readable test case names.
    struct Sample: Sendable, CustomTestStringConvertible {
        let name: String
        let bytes: [UInt8]

        var testDescription: String { name }
    }

    static let invalidAllTypes: [Sample] = [
        Sample(name: "truncated varint", bytes: [0x18, 0x80]),
        Sample(name: "truncated varint at the end of a longer message", bytes: [0x18, 0x01, 0x20, 0xff, 0xff]),
        Sample(name: "varint longer than ten bytes", bytes: [0x18] + [UInt8](repeating: 0xff, count: 11) + [0x01]),
        Sample(name: "truncated tag", bytes: [0x80]),
        Sample(name: "wrong wire type: varint for a string", bytes: [0x70, 0x01]),
        Sample(name: "wrong wire type: fixed64 for an int32", bytes: [0x19, 1, 2, 3, 4, 5, 6, 7, 8]),
        Sample(name: "wrong wire type: length-delimited for a double", bytes: [0x0a, 0x01, 0x00]),
        Sample(name: "wrong wire type: varint for a submessage", bytes: [0x80, 0x01, 0x05]),
        Sample(name: "wire type 6 does not exist", bytes: [0x1e, 0x00]),
        Sample(name: "end of a group that never started", bytes: [0x0c]),
        Sample(name: "field number 0", bytes: [0x00, 0x01]),
        Sample(name: "length beyond the end", bytes: [0x72, 0x05, 0x61]),
        Sample(name: "length of 4 GiB", bytes: [0x72, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x61]),
        Sample(
            name: "length beyond the end of an unknown field", bytes: TestValues.varint(999 << 3 | 2) + [0x09, 0x00]),
        Sample(name: "truncated fixed64", bytes: [0x51, 0x01, 0x02]),
        Sample(name: "truncated fixed32", bytes: [0x4d, 0x01]),
        Sample(name: "truncated packed fixed32 run", bytes: [0xea, 0x01, 0x03, 0x01, 0x02, 0x03]),
        Sample(name: "truncated submessage", bytes: [0x82, 0x01, 0x05, 0x08]),
        Sample(name: "garbage inside a submessage", bytes: [0x82, 0x01, 0x02, 0xff, 0xff]),
        Sample(name: "garbage inside a map entry", bytes: [0xca, 0x02, 0x02, 0x0a, 0x05]),
        Sample(name: "invalid UTF-8 in a string", bytes: [0x72, 0x02, 0xc3, 0x28]),
        Sample(name: "a lone continuation byte", bytes: [0x72, 0x01, 0x80]),
        Sample(name: "an encoded surrogate", bytes: [0x72, 0x03, 0xed, 0xa0, 0x80]),
        Sample(name: "an overlong encoding", bytes: [0x72, 0x02, 0xc0, 0xaf]),
        Sample(name: "invalid UTF-8 in a nested string", bytes: [0x82, 0x01, 0x04, 0x12, 0x02, 0xff, 0xfe]),
        Sample(name: "invalid UTF-8 in a repeated string", bytes: [0x92, 0x02, 0x01, 0x61, 0x92, 0x02, 0x01, 0xff]),
        Sample(name: "invalid UTF-8 in a map key", bytes: [0xca, 0x02, 0x05, 0x0a, 0x01, 0xff, 0x12, 0x00]),
        Sample(name: "invalid UTF-8 in a oneof string", bytes: [0x9a, 0x03, 0x01, 0xfe]),
        Sample(name: "only 0xff bytes", bytes: [UInt8](repeating: 0xff, count: 64)),
        Sample(name: "an HTTP request", bytes: Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)),
    ]

    @Test(arguments: invalidAllTypes)
    func rejectsAllTypes(_ sample: Sample) {
        let error = #expect(throws: ProtoDecodingError.self) {
            try AllTypes(serializedBytes: sample.bytes)
        }
        #expect(error == ProtoDecodingError(messageName: "backoffice.testing.AllTypes", byteCount: sample.bytes.count))
    }

    /// Messages of other files, top-level and nested, through their own decoding paths.
    @Test func rejectsOtherMessages() {
        let truncated: [UInt8] = [0x0a, 0x05, 0x61]
        #expect(throws: ProtoDecodingError(messageName: "backoffice.echo.EchoRequest", byteCount: 3)) {
            try Echo.EchoRequest(serializedBytes: truncated)
        }
        #expect(throws: ProtoDecodingError(messageName: "backoffice.wire.CallHeaders", byteCount: 3)) {
            try Wire.CallHeaders(serializedBytes: truncated)
        }
        #expect(throws: ProtoDecodingError(messageName: "backoffice.testing.AllTypes.Nested", byteCount: 3)) {
            try Nested(serializedBytes: [0x12, 0x01, 0xff])
        }
        #expect(throws: ProtoDecodingError.self) {
            try BackofficeTesting.Empty(serializedBytes: [0x08])
        }
    }

    /// The decoder of a method, as the RPC core calls it, reports the method's request type.
    @Test func errorNamesTheExpectedType() {
        let error = ProtoDecodingError(messageName: "backoffice.echo.EchoRequest", byteCount: 2)
        #expect(error.description == "2 bytes are not a valid backoffice.echo.EchoRequest")
    }

    /// Fields this version does not know are skipped, as proto3 requires.
    @Test func skipsUnknownFields() throws {
        var bytes = TestValues.varint(999 << 3 | 0) + [0x2a]  // field 999: varint 42
        bytes += TestValues.varint(999 << 3 | 2) + [0x02, 0x68, 0x69]  // field 999: "hi"
        bytes += TestValues.varint(998 << 3 | 5) + [1, 2, 3, 4]  // field 998: fixed32
        bytes += [0x18, 0x07]  // field 3: f_int32 in AllTypes, delay_millis in EchoRequest
        let decoded = try AllTypes(serializedBytes: bytes)
        var expected = AllTypes()
        expected.fInt32 = 7
        #expect(decoded == expected)
        #expect(try Echo.EchoRequest(serializedBytes: bytes).delayMillis == 7)
    }

    /// protoc-c would recurse as deep as the bytes nest; past 100 levels decoding refuses instead
    /// of overflowing the stack.
    @Test func boundsNestingDepth() throws {
        let deepest = TestValues.nestedChainEncoding(levels: ProtoCodec.nestingLimit)
        var decoded = try Nested(serializedBytes: deepest)
        var levels = 0
        while let child = decoded.child {
            decoded = child
            levels += 1
        }
        #expect(levels == ProtoCodec.nestingLimit)

        for levels in [ProtoCodec.nestingLimit + 1, 10_000, 500_000] {
            let tooDeep = TestValues.nestedChainEncoding(levels: levels)
            #expect(throws: ProtoDecodingError.self) { try Nested(serializedBytes: tooDeep) }
            // The same chain under AllTypes.f_nested (field 16), one level deeper still.
            let wrapped = [0x82, 0x01] + TestValues.varint(UInt64(tooDeep.count)) + tooDeep
            #expect(throws: ProtoDecodingError.self) { try AllTypes(serializedBytes: wrapped) }
        }
    }

    /// Random bytes either decode or throw; nothing else may happen.
    @Test func randomBytes() {
        var generator = SplitMix64(seed: 0x5eed)
        var rejected = 0
        for _ in 0..<20_000 {
            let count = Int(generator.next() % 48)
            let bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            do {
                _ = try AllTypes(serializedBytes: bytes)
            } catch {
                rejected += 1
            }
        }
        // Most random bytes are invalid; every call returned or threw a ProtoDecodingError.
        #expect(rejected > 10_000)
    }

    /// Every prefix of a valid encoding and every single-bit corruption of it.
    @Test func truncatedAndCorruptedEncodings() {
        let valid = TestValues.everyField().serializedBytes()
        var rejected = 0
        for length in 0..<valid.count {
            if (try? AllTypes(serializedBytes: Array(valid[..<length]))) == nil { rejected += 1 }
        }
        #expect(rejected > 0)
        var generator = SplitMix64(seed: 42)
        for _ in 0..<5_000 {
            var corrupted = valid
            let bit = Int(generator.next() % UInt64(valid.count * 8))
            corrupted[bit / 8] ^= 1 << (bit % 8)
            _ = try? AllTypes(serializedBytes: corrupted)
        }
    }
}

/// A small deterministic random number generator, so that failures replay.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xbf58_476d_1ce4_e5b9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94d0_49bb_1331_11eb
        return mixed ^ (mixed >> 31)
    }
}
