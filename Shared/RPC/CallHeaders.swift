import Glibc
import ProtoRuntime

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

    /// Field numbers and wire types of `CallHeaders` and of its map entries (also read by
    /// `CallHeaderDecoder`).
    fileprivate enum Field {
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
    /// shared with it rather than made again, and metadata equal to the previous call's, pair for
    /// pair, is that call's `Metadata` itself: no array is made for it.
    init(decoding bytes: UnsafeRawBufferPointer, reusing previous: CallHeaders? = nil) throws(MalformedCallHeaders) {
        let previousPairs = previous?.metadata.orderedPairs ?? []
        var reader = BufferReader(bytes)
        // Leading pairs equal to the previous call's, not appended (yet): while every pair is,
        // nothing is built.
        var repeatedPairs = 0
        var diverged = previousPairs.isEmpty
        var repeatsPreviousKeys = true
        while !reader.isAtEnd {
            let tag = try reader.varint()
            switch tag {
            case Field.method:
                method = try reader.string(reusing: previous?.method)
            case Field.timeout:
                timeoutMicros = Int64(bitPattern: try reader.varint())
            case Field.metadata:
                var entry = BufferReader(try reader.lengthDelimited())
                let index = diverged ? metadata.count : repeatedPairs
                let candidate = index < previousPairs.count ? previousPairs[index] : nil
                var key = ""
                var value = ""
                var keyRepeats = false
                var valueRepeats = false
                while !entry.isAtEnd {
                    switch try entry.varint() {
                    case Field.entryKey: key = try entry.string(reusing: candidate?.key, reused: &keyRepeats)
                    case Field.entryValue: value = try entry.string(reusing: candidate?.value, reused: &valueRepeats)
                    case let other: try entry.skip(wireType: other & 7, knownField: other >> 3 == 1 || other >> 3 == 2)
                    }
                }
                if !diverged, keyRepeats, valueRepeats {
                    repeatedPairs += 1
                    break
                }
                if !diverged {
                    diverged = true
                    metadata = Self.metadata(previousPairs[..<repeatedPairs], room: max(previousPairs.count, repeatedPairs + 1))
                }
                // While the keys are the last call's, in its order, they are lower-case and
                // distinct already: appended as they are. Otherwise the subscript lowers the key,
                // and a repeated key keeps its last value.
                if repeatsPreviousKeys, let candidate, candidate.key == key {
                    metadata.append(lowercasedKey: key, value: value)
                } else {
                    repeatsPreviousKeys = false
                    metadata[key] = value
                }
            default:
                let number = tag >> 3
                try reader.skip(wireType: tag & 7, knownField: number >= 1 && number <= 3)
            }
        }
        if !diverged, let previous {
            metadata =
                repeatedPairs == previousPairs.count
                ? previous.metadata : Self.metadata(previousPairs[..<repeatedPairs], room: repeatedPairs)
        }
    }

    /// A `Metadata` of `pairs` (the previous call's: lower-case and distinct), with room for
    /// `room` pairs.
    fileprivate static func metadata(_ pairs: ArraySlice<Metadata.Element>, room: Int) -> Metadata {
        var metadata = Metadata()
        metadata.reserveCapacity(room)
        for pair in pairs { metadata.append(lowercasedKey: pair.key, value: pair.value) }
        return metadata
    }

    /// The encoding, appended to `buffer`.
    func encode(into buffer: inout [UInt8]) {
        Self.encode(method: method, metadata: metadata, timeoutMicros: timeoutMicros, into: &buffer)
    }

    /// The encoding of the headers `method`, `metadata` and `timeoutMicros` (0: none), appended to
    /// `buffer`, with no `CallHeaders` (nor `Metadata`) built first.
    static func encode(method: String, metadata: some OutgoingMetadata, timeoutMicros: Int64, into buffer: inout [UInt8]) {
        appendMethod(method, to: &buffer)
        metadata.forEachPair { key, value in appendPair(key, value, to: &buffer) }
        appendTimeout(timeoutMicros, to: &buffer)
    }

    /// The method field, unless `method` is empty.
    static func appendMethod(_ method: String, to buffer: inout [UInt8]) {
        guard !method.isEmpty else { return }
        appendString(method, field: UInt8(Field.method), to: &buffer)
    }

    /// One metadata entry.
    static func appendPair(_ key: String, _ value: String, to buffer: inout [UInt8]) {
        let keySize = key.utf8.count
        let valueSize = value.utf8.count
        let entrySize = 2 + Varint.size(of: UInt64(keySize)) + keySize + Varint.size(of: UInt64(valueSize)) + valueSize
        Varint.append(UInt64(entrySize), after: CollectionOfOne(UInt8(Field.metadata)), to: &buffer)
        appendString(key, field: UInt8(Field.entryKey), to: &buffer)
        appendString(value, field: UInt8(Field.entryValue), to: &buffer)
    }

    /// The timeout field, unless `timeoutMicros` is 0 (none).
    static func appendTimeout(_ timeoutMicros: Int64, to buffer: inout [UInt8]) {
        guard timeoutMicros != 0 else { return }
        Varint.append(UInt64(bitPattern: timeoutMicros), after: CollectionOfOne(UInt8(Field.timeout)), to: &buffer)
    }

    /// The encoding.
    var encoded: [UInt8] {
        var buffer: [UInt8] = []
        encode(into: &buffer)
        return buffer
    }

    /// The length-delimited field `field` (its tag) holding `string`.
    private static func appendString(_ string: String, field: UInt8, to buffer: inout [UInt8]) {
        // A native string's bytes are read in place: no copy of the string (and its retain).
        let appended: Void? = string.utf8.withContiguousStorageIfAvailable { bytes in
            Varint.append(UInt64(bytes.count), after: CollectionOfOne(field), to: &buffer)
            buffer.append(contentsOf: bytes)
        }
        guard appended == nil else { return }
        var string = string
        string.withUTF8 { bytes in
            Varint.append(UInt64(bytes.count), after: CollectionOfOne(field), to: &buffer)
            buffer.append(contentsOf: bytes)
        }
    }
}

/// Decodes one connection's CALL payloads, each against the one before it. A client's calls
/// carry alike headers: the same method and credential, a proxy's the same forwarded pairs, and
/// only a request id or a timeout differs. The fields of a payload that are byte for byte those
/// of a payload kept from an earlier call, from its start, are taken from that call's headers
/// without being decoded again; only the fields after them are. A payload whose fields are not plain (a field
/// repeated, an unknown field, a key not in lower case, a pair not written as one key and one
/// value) is decoded in full, sharing the previous call's strings where they are equal.
struct CallHeaderDecoder {
    /// One field of a payload: where its bytes are, and which field it is.
    private struct Field {
        var start: Int
        var end: Int
        var kind: Kind
    }

    private enum Kind {
        case method, pair, timeout
    }

    /// The payload the next one is read against (the last plain one decoded in full, or read
    /// against this one but sharing little with it), its fields, and its headers. After a payload
    /// that was not plain, none is kept (`lastFields` is empty) and `last` holds that payload's
    /// headers, whose strings the next full decode may share.
    private var lastBytes: [UInt8] = []
    private var lastFields: [Field] = []
    private var last: CallHeaders?
    /// The fields of the payload being decoded (kept for its storage).
    private var fields: [Field] = []
    /// How many payloads were decoded in full.
    private(set) var decodedInFull = 0

    /// The headers of `bytes`, the connection's next CALL payload.
    mutating func decode(_ bytes: UnsafeRawBufferPointer) throws(MalformedCallHeaders) -> CallHeaders {
        if let last, !lastFields.isEmpty, bytes.count <= Self.keptBytes {
            if bytes.count == lastBytes.count,
                lastBytes.withUnsafeBytes({ memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 })
            {
                return last
            }
            if let (headers, decodedFields) = (try? decodeAgainst(last, bytes)) ?? nil {
                // The payload read against stays while most fields repeat it (a request id and a
                // timeout differ from call to call); one that shares little with it replaces it.
                if decodedFields > Self.decodedFieldsKept,
                    Self.plainFields(of: bytes, pairs: headers.metadata.count, into: &fields)
                {
                    remember(bytes, headers)
                }
                return headers
            }
        }
        let headers = try CallHeaders(decoding: bytes, reusing: last)
        decodedInFull += 1
        if bytes.count <= Self.keptBytes, Self.plainFields(of: bytes, pairs: headers.metadata.count, into: &fields) {
            remember(bytes, headers)
        } else {
            lastFields.removeAll(keepingCapacity: true)
            self.last = headers
        }
        return headers
    }

    /// Keeps `bytes`, whose plain fields are in `fields`, as the payload the next is read against.
    private mutating func remember(_ bytes: UnsafeRawBufferPointer, _ headers: CallHeaders) {
        lastBytes.removeAll(keepingCapacity: true)
        lastBytes.append(contentsOf: bytes)
        swap(&lastFields, &fields)
        last = headers
    }

    /// The headers of `bytes`, its leading fields equal to `previous`'s taken from it, and how
    /// many fields after them were decoded; `nil` when one of those is not plain.
    private func decodeAgainst(
        _ previous: CallHeaders, _ bytes: UnsafeRawBufferPointer
    ) throws -> (headers: CallHeaders, decodedFields: Int)? {
        var reader = BufferReader(bytes)
        var decodedFields = 0
        var kept = 0
        var keptMethod = false
        var keptTimeout = false
        var keptPairs = 0
        var method: String?
        var timeoutMicros: Int64?
        var diverged = false
        // Made at the first new pair: the previous pairs kept, then the new ones.
        var metadata: Metadata?
        while !reader.isAtEnd {
            let start = reader.offset
            let tag = try reader.varint()
            let kind: Kind
            var value: UnsafeRawBufferPointer?
            var number: UInt64 = 0
            switch tag {
            case CallHeaders.Field.method:
                kind = .method
                value = try reader.lengthDelimited()
            case CallHeaders.Field.metadata:
                kind = .pair
                value = try reader.lengthDelimited()
            case CallHeaders.Field.timeout:
                kind = .timeout
                number = try reader.varint()
            default:
                return nil
            }
            let field = Field(start: start, end: reader.offset, kind: kind)
            if !diverged, kept < lastFields.count, sameBytes(lastFields[kept], field, bytes) {
                kept += 1
                switch kind {
                case .method: keptMethod = true
                case .pair: keptPairs += 1
                case .timeout: keptTimeout = true
                }
                continue
            }
            diverged = true
            decodedFields += 1
            switch kind {
            case .method:
                guard !keptMethod, method == nil else { return nil }
                method = try BufferReader.text(value!.assumingMemoryBound(to: UInt8.self))
            case .pair:
                guard let (key, pairValue) = try Self.plainPair(value!) else { return nil }
                // Taken out of `metadata` while it grows: a copy left there would make the append
                // copy every pair.
                var pairs = metadata.take() ?? CallHeaders.metadata(previous.metadata.orderedPairs[..<keptPairs], room: keptPairs + 1)
                guard pairs[key] == nil else { return nil }
                pairs.append(lowercasedKey: key, value: pairValue)
                metadata = pairs
            case .timeout:
                guard !keptTimeout, timeoutMicros == nil else { return nil }
                timeoutMicros = Int64(bitPattern: number)
            }
        }
        var headers = previous
        if !keptMethod { headers.method = method ?? "" }
        if !keptTimeout { headers.timeoutMicros = timeoutMicros ?? 0 }
        if let metadata {
            headers.metadata = metadata
        } else if keptPairs < previous.metadata.count {
            headers.metadata = CallHeaders.metadata(previous.metadata.orderedPairs[..<keptPairs], room: keptPairs)
        }
        return (headers, decodedFields)
    }

    /// Whether `field` of `bytes` holds the same bytes as `lastField` of the last payload.
    private func sameBytes(_ lastField: Field, _ field: Field, _ bytes: UnsafeRawBufferPointer) -> Bool {
        let count = field.end - field.start
        guard lastField.end - lastField.start == count, lastField.kind == field.kind else { return false }
        return lastBytes.withUnsafeBytes { memcmp($0.baseAddress! + lastField.start, bytes.baseAddress! + field.start, count) == 0 }
    }

    /// A pair written as one key in lower-case ASCII and one value; `nil` for any other entry.
    private static func plainPair(_ entry: UnsafeRawBufferPointer) throws -> (String, String)? {
        var reader = BufferReader(entry)
        guard !reader.isAtEnd, try reader.varint() == CallHeaders.Field.entryKey else { return nil }
        let key = try reader.string()
        guard !reader.isAtEnd, try reader.varint() == CallHeaders.Field.entryValue else { return nil }
        let value = try reader.string()
        // Lower case as `Metadata` would leave it: no capital, and ASCII (other scripts have
        // capitals of their own).
        guard reader.isAtEnd, !key.utf8.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") || $0 >= 0x80 })
        else { return nil }
        return (key, value)
    }

    /// Whether `bytes` (a valid payload with `pairs` distinct pairs) is plain; its fields in `fields`.
    private static func plainFields(of bytes: UnsafeRawBufferPointer, pairs: Int, into fields: inout [Field]) -> Bool {
        fields.removeAll(keepingCapacity: true)
        var reader = BufferReader(bytes)
        var methods = 0
        var timeouts = 0
        var pairFields = 0
        while !reader.isAtEnd {
            let start = reader.offset
            guard let tag = try? reader.varint() else { return false }
            let kind: Kind
            switch tag {
            case CallHeaders.Field.method:
                guard (try? reader.lengthDelimited()) != nil else { return false }
                kind = .method
                methods += 1
            case CallHeaders.Field.metadata:
                guard let entry = try? reader.lengthDelimited(), (try? plainPair(entry)) ?? nil != nil else { return false }
                kind = .pair
                pairFields += 1
            case CallHeaders.Field.timeout:
                guard (try? reader.varint()) != nil else { return false }
                kind = .timeout
                timeouts += 1
            default:
                return false
            }
            fields.append(Field(start: start, end: reader.offset, kind: kind))
        }
        // Distinct keys: as many pairs decoded as written.
        return methods <= 1 && timeouts <= 1 && pairFields == pairs && !fields.isEmpty
    }

    /// The largest payload kept for the next call to be read against (headers are a few hundred
    /// bytes).
    static let keptBytes = 4096
    /// Fields a payload read against the kept one may decode and still leave it kept.
    static let decodedFieldsKept = 2
}

/// The pieces of a CALL frame's payload, for a proxy that writes it in parts
/// (`OutgoingMetadata.encodeCallHeaders`): the fields may come in any order, and the method
/// and the pairs its calls share can be encoded once and copied.
public enum CallHeaderEncoding {
    /// Appends the method field (`package.Service/Method`).
    public static func appendMethod(_ method: String, to buffer: inout [UInt8]) {
        CallHeaders.appendMethod(method, to: &buffer)
    }

    /// Appends one metadata pair; `key` lower-case, and not among the call's other pairs.
    public static func appendPair(_ key: String, _ value: String, to buffer: inout [UInt8]) {
        CallHeaders.appendPair(key, value, to: &buffer)
    }

    /// Appends the timeout field, unless `timeoutMicros` is 0 (none).
    public static func appendTimeout(_ timeoutMicros: Int64, to buffer: inout [UInt8]) {
        CallHeaders.appendTimeout(timeoutMicros, to: &buffer)
    }
}

/// A CALL frame payload that is not a valid `backoffice.wire.CallHeaders`.
struct MalformedCallHeaders: Error, Sendable {}

/// Reads protobuf wire-format values from a buffer, failing on anything truncated or malformed.
struct BufferReader {
    private let bytes: UnsafeRawBufferPointer
    private var position = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// Where the next field begins.
    var offset: Int { position }

    var isAtEnd: Bool { position >= bytes.count }

    mutating func varint() throws(MalformedCallHeaders) -> UInt64 {
        guard position < bytes.count,
            let value = Varint.read(bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), at: &position, end: bytes.count)
        else { throw MalformedCallHeaders() }
        return value
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
        var reused = false
        return try string(reusing: candidate, reused: &reused)
    }

    /// A string field; `candidate` itself when it holds the same bytes, and then `reused` is set
    /// (an empty field equal to an empty candidate too); otherwise `reused` is cleared.
    mutating func string(reusing candidate: String?, reused: inout Bool) throws(MalformedCallHeaders) -> String {
        let field = try lengthDelimited().assumingMemoryBound(to: UInt8.self)
        reused = false
        if field.isEmpty {
            reused = candidate?.isEmpty == true
            return ""
        }
        // Compared where the candidate's bytes are (a native string's, in place): no copy of it.
        if let candidate, candidate.utf8.count == field.count,
            candidate.utf8.withContiguousStorageIfAvailable({ memcmp($0.baseAddress!, field.baseAddress!, field.count) == 0 })
                ?? candidate.utf8.elementsEqual(field)
        {
            reused = true
            return candidate
        }
        return try Self.text(field)
    }

    /// `field`'s bytes as a string; malformed when they are not UTF-8.
    static func text(_ field: UnsafeBufferPointer<UInt8>) throws(MalformedCallHeaders) -> String {
        // Metadata is almost always ASCII, which needs no validation (the validating initializer
        // is many times slower).
        if isASCII(field) { return String(decoding: field, as: UTF8.self) }
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
