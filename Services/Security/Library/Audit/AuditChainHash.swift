import Crypto

/// The audit chain's hash function and the canonical encoding it hashes.
///
/// `hash(entry) = BLAKE2b-256(key: 32 zero bytes, message: encoding(entry))` (libsodium's
/// `crypto_generichash` through `Crypto.KeyedHash`). The key is fixed and public: the chain
/// proves that no entry was altered, removed or reordered after the fact, relative to the hashes
/// someone kept; it is not a secret MAC.
///
/// The encoding is unambiguous: every variable-length field is preceded by its length, so no
/// two different entries encode to the same bytes. In order:
///
/// 1. the domain tag `backoffice.audit.v1` (UTF-8) followed by a 0 byte;
/// 2. `sequence` as 8 bytes, big-endian;
/// 3. `id`, `actor`, `actor_kind`, `method`, `target`, `outcome`, `client_address`,
///    `request_id`, each as a 4-byte big-endian byte count followed by its UTF-8 bytes;
/// 4. `occurred_at_unix_ms` as 8 bytes, big-endian two's complement;
/// 5. the number of `details` entries as 4 bytes big-endian, then each entry, sorted by the
///    UTF-8 bytes of its key, as key then value, each length-prefixed like the strings above;
/// 6. the previous entry's hash: 32 bytes (32 zero bytes for sequence 1).
public enum AuditChainHash {
    /// The hash length in bytes.
    public static let byteCount = 32
    /// The previous hash of the first entry.
    public static let genesis = [UInt8](repeating: 0, count: byteCount)

    /// BLAKE2b-256 with the documented all-zero key.
    private static let hasher = KeyedHash(
        key: try! SecretKey(bytes: [UInt8](repeating: 0, count: SecretKey.byteCount)), digestByteCount: byteCount)

    /// The hash of an entry with these fields, chained to `previousHash`.
    public static func hash(sequence: UInt64, id: String, record: AuditRecord, previousHash: [UInt8]) -> [UInt8] {
        hasher.digest(encoding(sequence: sequence, id: id, record: record, previousHash: previousHash))
    }

    /// The canonical encoding described on the type.
    public static func encoding(sequence: UInt64, id: String, record: AuditRecord, previousHash: [UInt8]) -> [UInt8] {
        var bytes = Array("backoffice.audit.v1".utf8) + [0]
        appendInteger(sequence, to: &bytes)
        for field in [
            id, record.actor, record.actorKind, record.method, record.target, record.outcome, record.clientAddress,
            record.requestID,
        ] {
            appendString(field, to: &bytes)
        }
        appendInteger(UInt64(bitPattern: record.occurredAtUnixMs), to: &bytes)
        appendInteger(UInt32(record.details.count), to: &bytes)
        let sorted = record.details.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
        for (key, value) in sorted {
            appendString(key, to: &bytes)
            appendString(value, to: &bytes)
        }
        bytes += previousHash
        return bytes
    }

    /// Lowercase hex of `bytes`.
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    private static func appendString(_ text: String, to bytes: inout [UInt8]) {
        let utf8 = Array(text.utf8)
        appendInteger(UInt32(utf8.count), to: &bytes)
        bytes += utf8
    }

    private static func appendInteger<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { bytes += $0 }
    }
}
