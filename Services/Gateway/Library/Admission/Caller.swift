import AccessControl
import BackofficeAPI
import RPC
import ServiceRuntime
import Synchronization

/// Who makes a call, as the gateway's checks see it: a principal held once and shared by
/// reference by every call it makes (copying an `Auth.Principal` retains each of its strings and
/// lists, from both event-loop threads), with the signatures of it made so far, per method.
///
/// The credential cache keeps one `Caller` per credential for at most a second; anonymous calls
/// share `CallGate`'s one anonymous caller.
public final class Caller: Sendable {
    private struct Signature {
        /// The method it is for, held so that its identity, the key, is never reused meanwhile.
        let method: MethodDescriptor
        let value: String
        let reuseUntilMillis: Int64
    }

    /// The principal the security service answered (or `.anonymous`).
    public let principal: Auth.Principal
    /// The key its rate and concurrency are counted under; `nil` when anonymous (counted per
    /// client address instead).
    let limitKey: String?
    /// Signed forms of the principal, by method; at most one per method of the catalogue, since
    /// only admitted calls (to methods with a rule) are signed.
    private let signatures = Mutex<[ObjectIdentifier: Signature]>([:])
    /// The principal's rate and concurrency (`allowance(in:)`), taken from the table once.
    /// (A lock rather than an `AtomicLazyReference`, whose unspecialised `load` costs more.)
    private let heldAllowance = Mutex<PrincipalAllowance?>(nil)

    /// The caller `principal`.
    public init(_ principal: Auth.Principal) {
        self.principal = principal
        limitKey = principal.isAnonymous ? nil : principal.subjectId
    }

    /// The principal's allowance in `table`, shared with its other callers; `nil` when anonymous.
    func allowance(in table: PrincipalAllowances) -> PrincipalAllowance? {
        guard let limitKey else { return nil }
        if let allowance = heldAllowance.withLock({ $0 }) { return allowance }
        let allowance = table.allowance(for: limitKey)
        return heldAllowance.withLock { held in
            if let held { return held }
            held = allowance
            return allowance
        }
    }

    /// Whether the principal holds `permission` (read in place: no copy of the principal).
    func holds(_ permission: Permission) -> Bool { principal.holds(permission) }

    /// The signature for `method` kept earlier, if it may still be handed out at `now`.
    func signature(for method: MethodDescriptor, now: Int64) -> (value: String, reuseUntilMillis: Int64)? {
        let key = ObjectIdentifier(method)
        return signatures.withLock { signatures in
            guard let signature = signatures[key], signature.reuseUntilMillis > now else { return nil }
            return (signature.value, signature.reuseUntilMillis)
        }
    }

    /// Keeps `value`, the signature for `method`, to be handed out until `reuseUntilMillis`.
    func keepSignature(_ value: String, for method: MethodDescriptor, reuseUntilMillis: Int64) {
        signatures.withLock {
            $0[ObjectIdentifier(method)] = Signature(method: method, value: value, reuseUntilMillis: reuseUntilMillis)
        }
    }
}
