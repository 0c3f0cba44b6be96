import BackofficeAPI
import ProtoRuntime
import Testing

#if canImport(Glibc)  // mallinfo2() is glibc's, exposed by the CProtobufC shim
    import CProtobufC

    /// Decoding frees everything protobuf-c allocated, on success and on every error path, and
    /// encoding frees every block its arena took. Measured with glibc's `mallinfo2()`, whose
    /// `uordblks` counts the bytes in use in every arena of the process.
    ///
    /// Other tests may allocate at the same time, so a loop is measured in several rounds and the
    /// smallest growth must stay under `slack`: a leak grows the heap in every round, noise does not.
    @Suite(.serialized) struct DecodingMemoryTests {
        /// Growth tolerated over one round: allocator bookkeeping and lazily created metadata. A leak
        /// of even 8 bytes per call grows a round of 40,000 calls by 320 KB.
        static let slack = 64 * 1024

        static let invalidInputs: [[UInt8]] = [
            [0x18, 0x80],  // truncated varint: protobuf-c fails part-way
            [0x72, 0x05, 0x61],  // length beyond the end
            [0x82, 0x01, 0x02, 0x12, 0x05],  // broken submessage: its partial unpack must be freed
            [0x72, 0x02, 0xc3, 0x28] + [0x92, 0x02, 0x01, 0x61],  // invalid UTF-8: unpacks, fails converting
            [0x82, 0x01, 0x04, 0x12, 0x02, 0xff, 0xfe],  // invalid UTF-8 in a submessage
            TestValues.nestedChainEncoding(levels: 200),  // too deep: refused before unpacking
            [UInt8](repeating: 0xff, count: 32),
        ]

        /// The smallest growth of the heap in use over `rounds` runs of `body`, after one to warm up.
        static func smallestGrowth(rounds: Int = 3, _ body: () -> Void) -> Int {
            body()
            var smallest = Int.max
            for _ in 0..<rounds {
                let before = mallinfo2().uordblks
                body()
                smallest = min(smallest, mallinfo2().uordblks - before)
            }
            return smallest
        }

        @Test func decodingDoesNotLeak() {
            let valid = TestValues.everyField().serializedBytes()
            let small = Echo.EchoRequest.sample.serializedBytes()
            let invalid = Self.invalidInputs
            let growth = Self.smallestGrowth {
                for index in 0..<20_000 {
                    _ = try? AllTypes(serializedBytes: invalid[index % invalid.count])
                    _ = try? Echo.EchoRequest(serializedBytes: invalid[index % invalid.count])
                }
                for index in 0..<20_000 {
                    _ = try? Echo.EchoRequest(serializedBytes: small)
                    if index % 10 == 0 { _ = try? AllTypes(serializedBytes: valid) }
                }
            }
            #expect(
                growth < Self.slack, "the heap grew by \(growth) bytes over 20,000 invalid and 20,000 valid decodes")
        }

        @Test func encodingDoesNotLeak() {
            var large = TestValues.everyField()
            large.fBytes = [UInt8](repeating: 7, count: 20_000)  // beyond the arena's stack block
            large.rString = (0..<100).map { "string number \($0)" }
            let small = Echo.EchoRequest.sample
            let growth = Self.smallestGrowth {
                var buffer: [UInt8] = []
                for index in 0..<20_000 {
                    buffer.removeAll(keepingCapacity: true)
                    small.serialize(into: &buffer)
                    if index % 10 == 0 {
                        buffer.removeAll(keepingCapacity: true)
                        large.serialize(into: &buffer)
                    }
                }
            }
            #expect(growth < Self.slack, "the heap grew by \(growth) bytes over 22,000 encodes")
        }
    }
#endif

extension Echo.EchoRequest {
    /// A request like the benchmark's: a small payload and a few scalars.
    static var sample: Echo.EchoRequest {
        var request = Echo.EchoRequest()
        request.payload = Array("hello, echo".utf8)
        request.repeat = 2
        request.delayMillis = 5
        request.failMessage = "a message long enough to live on the heap"
        return request
    }
}
