import Glibc

/// The payload of a CALL frame (`backoffice.wire.CallHeaders` in Protos/wire.proto), read and
/// written directly in the protobuf wire format.
///
/// Every call opens with one, so this is the hottest message of the protocol. Going through the
/// generated type would unpack it with libprotobuf-c into C structures, then build a Swift
/// dictionary of its metadata, then a `Metadata` from that; this reads the bytes once into the
/// values a call needs. It accepts what any protobuf encoder may write (fields in any order, a
/// field repeated, unknown fields), and refuses what libprotobuf-c refuses: truncated fields,
/// over-long varints, wrong wire types for known fields, groups, strings that are not UTF-8.
struct CallHeaders: Sendable, Equatable {
    /// `package.Service/Method`.
    var method = ""
    /// Keys lower-cased.
    var metadata = Metadata()
    /// 0: no deadline; negative values are decoded as sent (the server refuses them).
    var timeoutMicros: Int64 = 0

    /// Field numbers and wire types of `CallHeaders` and of its map entries.
    private enum Field {
        static let method: UInt64 = 1 << 3 | 2
        static let metadata: UInt64 = 2 << 3 | 2
        static let timeout: UInt64 = 3 << 3 | 0
        static let entryKey: UInt64 = 1 << 3 | 2
        static let entryValue: UInt64 = 2 << 3 | 2
    }

    init(method: String, metadata: Metadata = Metadata(), timeoutMicros: Int64 = 0) {
        self.method = method
        self.metadata = metadata
        self.timeoutMicros = timeoutMicros
    }

    /// Decodes a CALL frame's payload. Strings equal to those of `previous` (the connection's last
    /// call: a client repeats its method, credential and other metadata from call to call) are
    /// shared with it rather than made again.
    init(decoding bytes: UnsafeRawBufferPointer, reusing previous: CallHeaders? = nil) throws(MalformedCallHeaders) {
        let previousPairs = previous?.metadata.orderedPairs ?? []
        // Room for as many pairs as the last call had: no growing the array pair by pair.
        if !previousPairs.isEmpty { metadata.reserveCapacity(previousPairs.count) }
        var reader = BufferReader(bytes)
        var repeatsPrevious = true
        while !reader.isAtEnd {
            let tag = try reader.varint()
            switch tag {
            case Field.method:
                method = try reader.string(reusing: previous?.method)
            case Field.timeout:
                timeoutMicros = Int64(bitPattern: try reader.varint())
            case Field.metadata:
                var entry = BufferReader(try reader.lengthDelimited())
                let candidate = metadata.count < previousPairs.count ? previousPairs[metadata.count] : nil
                var key = ""
                var value = ""
                while !entry.isAtEnd {
                    switch try entry.varint() {
                    case Field.entryKey: key = try entry.string(reusing: candidate?.key)
                    case Field.entryValue: value = try entry.string(reusing: candidate?.value)
                    case let other: try entry.skip(wireType: other & 7, knownField: other >> 3 == 1 || other >> 3 == 2)
                    }
                }
                // While the keys are the last call's, in its order, they are lower-case and
                // distinct already: appended as they are. Otherwise the subscript lowers the key,
                // and a repeated key keeps its last value.
                if repeatsPrevious, let candidate, candidate.key == key {
                    metadata.append(lowercasedKey: key, value: value)
                } else {
                    repeatsPrevious = false
                    metadata[key] = value
                }
            default:
                let number = tag >> 3
                try reader.skip(wireType: tag & 7, knownField: number >= 1 && number <= 3)
            }
        }
    }

    /// The encoding, appended to `buffer`.
    func encode(into buffer: inout [UInt8]) {
        Self.encode(method: method, metadata: metadata, timeoutMicros: timeoutMicros, into: &buffer)
    }

    /// The encoding of the headers `method`, `metadata` and `timeoutMicros` (0: none), appended to
    /// `buffer`, with no `CallHeaders` (nor `Metadata`) built first.
    static func encode(method: String, metadata: some OutgoingMetadata, timeoutMicros: Int64, into buffer: inout [UInt8]) {
        if !method.isEmpty {
            buffer.append(UInt8(Field.method))
            appendString(method, to: &buffer)
        }
        metadata.forEachPair { key, value in
            let keySize = key.utf8.count
            let valueSize = value.utf8.count
            buffer.append(UInt8(Field.metadata))
            appendVarint(UInt64(2 + varintSize(keySize) + keySize + varintSize(valueSize) + valueSize), to: &buffer)
            buffer.append(UInt8(Field.entryKey))
            appendString(key, to: &buffer)
            buffer.append(UInt8(Field.entryValue))
            appendString(value, to: &buffer)
        }
        if timeoutMicros != 0 {
            buffer.append(UInt8(Field.timeout))
            appendVarint(UInt64(bitPattern: timeoutMicros), to: &buffer)
        }
    }

    /// The encoding.
    var encoded: [UInt8] {
        var buffer: [UInt8] = []
        encode(into: &buffer)
        return buffer
    }

    private static func appendString(_ string: String, to buffer: inout [UInt8]) {
        // A native string's bytes are read in place: no copy of the string (and its retain).
        let appended: Void? = string.utf8.withContiguousStorageIfAvailable { bytes in
            appendVarint(UInt64(bytes.count), to: &buffer)
            buffer.append(contentsOf: bytes)
        }
        guard appended == nil else { return }
        var string = string
        string.withUTF8 { bytes in
            appendVarint(UInt64(bytes.count), to: &buffer)
            buffer.append(contentsOf: bytes)
        }
    }

    private static func appendVarint(_ value: UInt64, to buffer: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            buffer.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        buffer.append(UInt8(value))
    }

    private static func varintSize(_ value: Int) -> Int {
        var size = 1
        var value = UInt64(value)
        while value >= 0x80 {
            size += 1
            value >>= 7
        }
        return size
    }
}

/// A CALL frame payload that is not a valid `backoffice.wire.CallHeaders`.
struct MalformedCallHeaders: Error, Sendable {}

/// Reads protobuf wire-format values from a buffer, failing on anything truncated or malformed.
private struct BufferReader {
    private let bytes: UnsafeRawBufferPointer
    private var position = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var isAtEnd: Bool { position >= bytes.count }

    mutating func varint() throws(MalformedCallHeaders) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while position < bytes.count && shift < 70 {
            let byte = bytes[position]
            position += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
        throw MalformedCallHeaders()
    }

    mutating func lengthDelimited() throws(MalformedCallHeaders) -> UnsafeRawBufferPointer {
        let length = try varint()
        guard length <= UInt64(bytes.count - position) else { throw MalformedCallHeaders() }
        let start = position
        position += Int(length)
        return UnsafeRawBufferPointer(rebasing: bytes[start..<position])
    }

    /// A string field; `candidate` itself when it holds the same bytes.
    mutating func string(reusing candidate: String? = nil) throws(MalformedCallHeaders) -> String {
        let field = try lengthDelimited().assumingMemoryBound(to: UInt8.self)
        if field.isEmpty { return "" }
        // Compared where the candidate's bytes are (a native string's, in place): no copy of it.
        if let candidate, candidate.utf8.count == field.count,
            candidate.utf8.withContiguousStorageIfAvailable({ memcmp($0.baseAddress!, field.baseAddress!, field.count) == 0 })
                ?? candidate.utf8.elementsEqual(field)
        {
            return candidate
        }
        // Metadata is almost always ASCII, which needs no validation (the validating initializer
        // is many times slower).
        if Self.isASCII(field) { return String(decoding: field, as: UTF8.self) }
        guard let string = String(validating: field, as: UTF8.self) else { throw MalformedCallHeaders() }
        return string
    }

    /// Whether every byte is below 0x80, checked eight bytes at a time.
    private static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let raw = UnsafeRawBufferPointer(bytes)
        var index = 0
        var high: UInt64 = 0
        while index + 8 <= raw.count {
            high |= raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            index += 8
        }
        while index < raw.count {
            high |= UInt64(raw[index])
            index += 1
        }
        return high & 0x8080_8080_8080_8080 == 0
    }

    /// Skips a field of an unknown number; a known number with the wrong wire type is malformed.
    mutating func skip(wireType: UInt64, knownField: Bool) throws(MalformedCallHeaders) {
        guard !knownField else { throw MalformedCallHeaders() }
        switch wireType {
        case 0: _ = try varint()
        case 1: try advance(8)
        case 2: _ = try lengthDelimited()
        case 5: try advance(4)
        default: throw MalformedCallHeaders()
        }
    }

    private mutating func advance(_ count: Int) throws(MalformedCallHeaders) {
        guard bytes.count - position >= count else { throw MalformedCallHeaders() }
        position += count
    }
}
