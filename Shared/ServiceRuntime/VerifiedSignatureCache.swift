import BackofficeAPI
import Foundation
import Synchronization

/// Signed-principal values that already verified, so that a value presented again (the gateway
/// reuses each signature for up to a second) costs a dictionary lookup instead of a base64
/// decode, a MAC and a protobuf decode. An entry is used only for the method it was verified for
/// and only until the signature's own expiry; the cache is bounded.
final class VerifiedSignatureCache: Sendable {
    private struct Entry {
        let principal: VerifiedPrincipal
        let method: String
        let notAfterUnixMs: Int64
    }

    private let entries = Mutex<[String: Entry]>([:])
    /// Most values remembered at once.
    let capacity: Int

    init(capacity: Int = 4096) {
        self.capacity = max(1, capacity)
    }

    /// The principal of `value`, and when it expires, if it verified before for `method` and has
    /// not expired at `nowMillis`.
    func principal(for value: String, method: String, nowMillis: Int64) -> (principal: VerifiedPrincipal, notAfterUnixMs: Int64)? {
        entries.withLock { entries in
            guard let entry = entries[value], entry.method == method else { return nil }
            guard entry.notAfterUnixMs >= nowMillis else {
                entries.removeValue(forKey: value)
                return nil
            }
            return (entry.principal, entry.notAfterUnixMs)
        }
    }

    /// Remembers that `value` verified for `method`, valid until `notAfterUnixMs`.
    func store(_ value: String, principal: VerifiedPrincipal, method: String, notAfterUnixMs: Int64, now: Date) {
        let nowMillis = PrincipalSigner.unixMilliseconds(now)
        entries.withLock { entries in
            if entries.count >= capacity && entries[value] == nil {
                entries = entries.filter { $0.value.notAfterUnixMs >= nowMillis }
                if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            }
            entries[value] = Entry(principal: principal, method: method, notAfterUnixMs: notAfterUnixMs)
        }
    }
}
