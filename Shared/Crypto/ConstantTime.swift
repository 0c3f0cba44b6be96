import CSodium

/// Comparisons whose running time does not depend on where the inputs differ, for secrets such as
/// tokens, MAC tags and digests (`sodium_memcmp`).
public enum ConstantTime {
    /// True when `a` and `b` hold the same bytes. Inputs of different lengths are unequal (the
    /// length itself is not treated as secret); two empty inputs are equal.
    public static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        guard !a.isEmpty else { return true }
        Sodium.ensureInitialized()
        return a.withUnsafeBytes { left in
            b.withUnsafeBytes { right in
                sodium_memcmp(left.baseAddress, right.baseAddress, left.count) == 0
            }
        }
    }

    /// True when the UTF-8 bytes of `a` and `b` are the same (no Unicode normalization).
    public static func equals(_ a: String, _ b: String) -> Bool {
        equals(Array(a.utf8), Array(b.utf8))
    }
}
