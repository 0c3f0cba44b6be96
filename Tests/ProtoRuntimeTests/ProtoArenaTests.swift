import CProtobufC
import ProtoRuntime
import Testing

/// The arena that holds the C memory of a message while it is packed.
@Suite struct ProtoArenaTests {
    @Test func allocationsAreAlignedAndDistinct() {
        ProtoArena.withArena { arena in
            var previous: [(UnsafeMutableRawPointer, Int)] = []
            // Odd sizes and alignments, past the stack block and through several heap blocks.
            for index in 0..<2_000 {
                let size = index % 37 + 1
                let alignment = 1 << (index % 5)
                let pointer = arena.allocate(byteCount: size, alignment: alignment)
                #expect(Int(bitPattern: pointer) % alignment == 0)
                pointer.initializeMemory(as: UInt8.self, repeating: UInt8(truncatingIfNeeded: index), count: size)
                previous.append((pointer, size))
            }
            // Nothing was overwritten by a later allocation.
            for (index, (pointer, size)) in previous.enumerated() {
                let bytes = UnsafeRawBufferPointer(start: pointer, count: size)
                #expect(bytes.allSatisfy { $0 == UInt8(truncatingIfNeeded: index) })
            }
        }
    }

    @Test func bigValuesGetTheirOwnBlock() {
        ProtoArena.withArena { arena in
            let small = arena.allocate(byteCount: 8, alignment: 8)
            let big = arena.allocate(byteCount: 5_000_000, alignment: 16)
            big.initializeMemory(as: UInt8.self, repeating: 0xab, count: 5_000_000)
            let next = arena.allocate(byteCount: 8, alignment: 8)
            // The small allocation after the big one still comes from the stack block.
            #expect(next == small + 8)
        }
    }

    @Test(arguments: ["", "ascii", "grüße", "日本", "🎉", String(repeating: "é", count: 3_000)])
    func cStrings(_ string: String) {
        ProtoArena.withArena { arena in
            let copy = arena.cString(string)
            #expect(String(cString: copy) == string)
            #expect(copy[string.utf8.count] == 0)
        }
    }

    @Test func binaryData() {
        ProtoArena.withArena { arena in
            let bytes: [UInt8] = [0, 1, 0, 255]
            let data = arena.binaryData(bytes)
            #expect(data.len == 4)
            #expect(Array(UnsafeBufferPointer(start: data.data, count: data.len)) == bytes)
            #expect(arena.binaryData([]).len == 0)
            #expect(arena.copy([Int32]()) == nil)
        }
    }

    /// Map entries are encoded in key order: numbers by value, strings byte-wise like `strcmp`.
    @Test func mapKeyOrder() {
        ProtoArena.withArena { arena in
            let keys = ["b", "", "a", "ab", "é", "z", "\u{7f}", "aa"]
            let pointers: [UnsafeMutablePointer<CChar>?] = keys.map { arena.cString($0) }
            let sorted = pointers.sorted { Optional.protoPrecedes($0, $1) }.map { String(cString: $0!) }
            #expect(sorted == ["", "a", "aa", "ab", "b", "z", "\u{7f}", "é"])
            #expect(Optional<UnsafeMutablePointer<CChar>>.protoPrecedes(nil, pointers[0]))
            #expect(!Optional<UnsafeMutablePointer<CChar>>.protoPrecedes(pointers[1], nil))
        }
        #expect([3, -1, 2].sorted(by: Int32.protoPrecedes) == [-1, 2, 3])
        #expect([UInt64.max, 0].sorted(by: UInt64.protoPrecedes) == [0, .max])
    }
}
