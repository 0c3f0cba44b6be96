import Foundation

/// A HyperLogLog sketch of distinct strings (visitor ids): 2^14 one-byte registers, mergeable, so
/// hourly sketches merge into the distinct count of any range of hours.
///
/// Estimates use Ertl's improved estimator ("New cardinality estimation algorithms for
/// HyperLogLog sketches", 2017), which needs no empirical bias tables and is unbiased from a
/// handful of items to billions: its relative standard error is 1.04 / sqrt(2^14) ≈ 0.81%, so
/// about 95% of estimates fall within 1.6% of the truth (tested at 0 to 1,000,000 distinct ids).
///
/// Stored sparse (index and value of each non-zero register) while that is smaller than the
/// 16 KiB dense form.
public struct HyperLogLog: Sendable, Equatable {
    /// Bits of the hash that choose the register.
    public static let precision = 14
    /// The number of registers, 2^precision.
    public static let registerCount = 1 << precision
    /// The largest register value: the rank of a hash whose remaining bits are all zero.
    static let maxRank = 64 - precision + 1

    private(set) var registers: [UInt8]

    /// An empty sketch.
    public init() {
        registers = [UInt8](repeating: 0, count: Self.registerCount)
    }

    /// Whether nothing was inserted.
    public var isEmpty: Bool { !registers.contains { $0 != 0 } }

    /// Adds `value`.
    public mutating func insert(_ value: String) {
        insert(hash: Self.hash(value))
    }

    /// Adds an item by its 64-bit hash.
    public mutating func insert(hash: UInt64) {
        let index = Int(truncatingIfNeeded: hash >> UInt64(64 - Self.precision))
        let remaining = hash << UInt64(Self.precision)
        let rank = UInt8(min(remaining.leadingZeroBitCount + 1, Self.maxRank))
        if rank > registers[index] { registers[index] = rank }
    }

    /// Adds every item of `other`: afterwards the sketch counts the union.
    public mutating func merge(_ other: HyperLogLog) {
        registers.withUnsafeMutableBufferPointer { mine in
            other.registers.withUnsafeBufferPointer { theirs in
                for index in 0..<Self.registerCount where theirs[index] > mine[index] {
                    mine[index] = theirs[index]
                }
            }
        }
    }

    /// The estimated number of distinct items inserted.
    public var estimate: Int64 {
        let m = Double(Self.registerCount)
        var histogram = [Double](repeating: 0, count: Self.maxRank + 1)
        for register in registers { histogram[Int(register)] += 1 }
        let q = Self.maxRank - 1
        var z = m * Self.tau(1 - histogram[q + 1] / m)
        for k in stride(from: q, through: 1, by: -1) {
            z = 0.5 * (z + histogram[k])
        }
        z += m * Self.sigma(histogram[0] / m)
        guard z.isFinite, z > 0 else { return 0 }
        let alphaInfinity = 1 / (2 * log(2.0))
        return Int64((alphaInfinity * m * m / z).rounded())
    }

    private static func sigma(_ value: Double) -> Double {
        if value == 1 { return .infinity }
        var x = value
        var y = 1.0
        var z = value
        while true {
            x *= x
            let previous = z
            z += x * y
            y += y
            if z == previous { return z }
        }
    }

    private static func tau(_ value: Double) -> Double {
        if value == 0 || value == 1 { return 0 }
        var x = value
        var y = 1.0
        var z = 1 - value
        while true {
            x = x.squareRoot()
            let previous = z
            y *= 0.5
            z -= (1 - x) * (1 - x) * y
            if z == previous { return z / 3 }
        }
    }

    // MARK: - Hashing

    /// A well-mixed 64-bit hash of `value`: FNV-1a over its UTF-8 bytes, then MurmurHash3's
    /// 64-bit finalizer (FNV alone leaves the high bits, which choose the register, poorly mixed).
    public static func hash(_ value: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in value.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        hash ^= hash >> 33
        hash = hash &* 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        hash = hash &* 0xc4ce_b9fe_1a85_ec53
        hash ^= hash >> 33
        return hash
    }

    // MARK: - Storage

    private static let sparseTag: UInt8 = 1
    private static let denseTag: UInt8 = 2

    /// The stored form: sparse (tag 1, then 3 bytes per non-zero register: big-endian index,
    /// value) or dense (tag 2, then every register).
    public var serialized: [UInt8] {
        let nonZero = registers.reduce(0) { $0 + ($1 == 0 ? 0 : 1) }
        guard nonZero * 3 < Self.registerCount else { return [Self.denseTag] + registers }
        var bytes: [UInt8] = [Self.sparseTag]
        bytes.reserveCapacity(1 + nonZero * 3)
        for (index, value) in registers.enumerated() where value != 0 {
            bytes.append(UInt8(index >> 8))
            bytes.append(UInt8(index & 0xff))
            bytes.append(value)
        }
        return bytes
    }

    /// A sketch from its stored form; nil when the bytes are not one.
    public init?(serialized bytes: [UInt8]) {
        self.init()
        guard merge(serialized: bytes) else { return nil }
    }

    /// Adds every item of the sketch stored as `bytes` without decoding it first (the summary's
    /// hot path); false, possibly after merging part of it, when the bytes are not a sketch.
    @discardableResult
    public mutating func merge(serialized bytes: [UInt8]) -> Bool {
        guard let tag = bytes.first else { return false }
        let count = Self.registerCount
        if tag == Self.denseTag {
            guard bytes.count == 1 + count else { return false }
            registers.withUnsafeMutableBufferPointer { mine in
                bytes.withUnsafeBufferPointer { theirs in
                    for index in 0..<count { mine[index] = max(mine[index], theirs[index + 1]) }
                }
            }
            return true
        }
        guard tag == Self.sparseTag, (bytes.count - 1) % 3 == 0 else { return false }
        var offset = 1
        while offset < bytes.count {
            let index = Int(bytes[offset]) << 8 | Int(bytes[offset + 1])
            guard index < count else { return false }
            registers[index] = max(registers[index], bytes[offset + 2])
            offset += 3
        }
        return true
    }
}
