import ProtoRuntime
import Testing

/// `Varint`, the one reader and writer of base-128 varints, against bytes written out by hand.
@Suite struct VarintTests {
    static let samples: [(value: UInt64, encoding: [UInt8])] = [
        (0, [0x00]), (1, [0x01]), (127, [0x7F]), (128, [0x80, 0x01]), (300, [0xAC, 0x02]),
        (16_383, [0xFF, 0x7F]), (16_384, [0x80, 0x80, 0x01]),
        (UInt64(1) << 63, [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]),
        (UInt64.max, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
    ]

    @Test func valuesAreWrittenMeasuredAndReadBack() {
        for (value, encoding) in Self.samples {
            var written: [UInt8] = [0xAA]
            Varint.append(value, to: &written)
            #expect(written == [0xAA] + encoding, "\(value)")
            #expect(Varint.size(of: value) == encoding.count, "\(value)")
            // Read from the middle of a buffer: the offset ends right after the varint.
            let buffer = [0xAA] + encoding + [0x55]
            var offset = 1
            let read = buffer.withUnsafeBufferPointer { Varint.read($0.baseAddress!, at: &offset, end: buffer.count) }
            #expect(read == value, "\(value)")
            #expect(offset == 1 + encoding.count, "\(value)")
        }
    }

    @Test func aPrefixAndAValueAreWrittenTogether() {
        for (value, encoding) in Self.samples {
            for prefix in [[], [0x0A], [0x12, 0x34, 0x56]] as [[UInt8]] {
                var written: [UInt8] = [0xAA]
                Varint.append(value, after: prefix, to: &written)
                #expect(written == [0xAA] + prefix + encoding, "\(value) after \(prefix)")
            }
        }
    }

    @Test func truncatedAndOverlongVarintsAreRefused() {
        // The end comes before the last byte, whether the buffer goes on or not.
        let truncated: [UInt8] = [0x80, 0x80, 0x01]
        var offset = 0
        #expect(truncated.withUnsafeBufferPointer { Varint.read($0.baseAddress!, at: &offset, end: 2) } == nil)
        // Eleven bytes: more than any 64-bit value needs.
        let overlong = [UInt8](repeating: 0x80, count: 10) + [0x01]
        offset = 0
        #expect(overlong.withUnsafeBufferPointer { Varint.read($0.baseAddress!, at: &offset, end: overlong.count) } == nil)
    }
}
