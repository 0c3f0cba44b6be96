/// Owns the C memory a protobuf-c struct tree points into while it is being packed: submessage
/// structs, NUL-terminated strings, byte buffers, arrays of values and arrays of pointers. All of it
/// is released at once when the arena ends; nothing is freed one piece at a time.
///
/// Allocation is a pointer bump. The first kilobyte lives on the stack of `withArena`, so encoding a
/// small message performs no heap allocation at all; bigger messages add heap blocks (doubling in
/// size), and a value too big for a block gets a block of its own.
///
/// The arena is non-copyable: exactly one owner frees its blocks, and a struct that points into
/// it cannot outlive the `withArena` call that created it.
public struct ProtoArena: ~Copyable {
    /// The next free byte of the current block.
    @usableFromInline var cursor: UnsafeMutableRawPointer
    /// One past the last byte of the current block.
    @usableFromInline var end: UnsafeMutableRawPointer
    /// The heap blocks, newest first; each block starts with the address of the previous one.
    @usableFromInline var heapBlocks: UnsafeMutableRawPointer?
    /// The size of the next shared heap block.
    @usableFromInline var nextBlockSize: Int

    /// Room reserved at the start of a heap block for the link to the previous block (16 keeps the
    /// rest of the block aligned for any C type).
    @usableFromInline static var blockHeaderSize: Int { 16 }
    /// The size of the first heap block.
    @usableFromInline static var firstBlockSize: Int { 4096 }
    /// Shared heap blocks stop growing at this size; bigger values get blocks of their own.
    @usableFromInline static var maxBlockSize: Int { 1 << 20 }

    /// An arena whose first allocations come from `buffer`, which must outlive the arena.
    @inlinable
    init(initialBuffer buffer: UnsafeMutableRawBufferPointer) {
        cursor = buffer.baseAddress!
        end = cursor + buffer.count
        heapBlocks = nil
        nextBlockSize = Self.firstBlockSize
    }

    deinit {
        var block = heapBlocks
        while let current = block {
            block = current.load(as: UnsafeMutableRawPointer?.self)
            current.deallocate()
        }
    }

    /// Runs `body` with a fresh arena whose first kilobyte is on the stack, and frees every heap
    /// block the arena took once `body` returns.
    @inlinable
    public static func withArena<Result>(_ body: (inout ProtoArena) -> Result) -> Result {
        // 1024 bytes is the size the standard library always places on the stack.
        withUnsafeTemporaryAllocation(byteCount: 1024, alignment: 16) { buffer in
            var arena = ProtoArena(initialBuffer: buffer)
            return body(&arena)
        }
    }

    /// Uninitialized memory for `byteCount` bytes aligned to `alignment` (a power of two no
    /// greater than 16), valid until the arena ends.
    @inlinable
    public mutating func allocate(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer {
        let padding = Self.padding(before: cursor, alignment: alignment)
        if byteCount + padding <= end - cursor {
            let start = cursor + padding
            cursor = start + byteCount
            return start
        }
        return allocateFromNewBlock(byteCount: byteCount, alignment: alignment)
    }

    /// How many bytes to skip from `address` to reach a multiple of `alignment`, a power of two.
    @inlinable
    static func padding(before address: UnsafeMutableRawPointer, alignment: Int) -> Int {
        let mask = alignment - 1
        return (alignment - (Int(bitPattern: address) & mask)) & mask
    }

    /// Uninitialized memory for `count` values of type `T`, bound to `T`, valid until the arena ends.
    @inlinable
    public mutating func allocate<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        allocate(byteCount: MemoryLayout<T>.stride * count, alignment: MemoryLayout<T>.alignment)
            .bindMemory(to: T.self, capacity: count)
    }

    /// The slow path of `allocate`: the current block is full.
    @usableFromInline
    mutating func allocateFromNewBlock(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer {
        let needed = Self.blockHeaderSize + byteCount + alignment
        if needed > nextBlockSize / 2 {
            // A big value gets a block of its own, and the current block stays in use for the
            // small values that follow.
            let block = takeHeapBlock(byteCount: needed)
            let start = block + Self.blockHeaderSize
            return start + Self.padding(before: start, alignment: alignment)
        }
        let block = takeHeapBlock(byteCount: nextBlockSize)
        cursor = block + Self.blockHeaderSize
        end = block + nextBlockSize
        nextBlockSize = min(nextBlockSize * 2, Self.maxBlockSize)
        return allocate(byteCount: byteCount, alignment: alignment)
    }

    /// Allocates a heap block and links it into the list that `deinit` frees.
    @usableFromInline
    mutating func takeHeapBlock(byteCount: Int) -> UnsafeMutableRawPointer {
        let block = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 16)
        block.storeBytes(of: heapBlocks, as: UnsafeMutableRawPointer?.self)
        heapBlocks = block
        return block
    }
}
