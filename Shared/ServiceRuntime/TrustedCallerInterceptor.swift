import BackofficeAPI
import Foundation
import RPC

/// Accepts only calls the gateway signed: every call except those of the health service must
/// carry an `x-backoffice-principal` entry signed for its own method with the internal key, or
/// it ends with UNAUTHENTICATED "calls must come through the gateway".
///
/// On success the verified principal is attached to the context (`context.principal`) and the
/// handler runs with that context as `ServerContext.current`, so that client calls it makes can
/// forward the principal (`CallOptions.forwarding`).
public final class TrustedCallerInterceptor: ServerInterceptor {
    /// The service whose methods need no signature: launchers and load balancers probe it directly.
    public static let unsignedService = "backoffice.health.Health"

    /// Verifies the signatures.
    public let signer: PrincipalSigner
    /// Values that verified already (the gateway presents each one for up to a second).
    private let verifiedValues = VerifiedSignatureCache()
    /// The value each event loop verified last: a gateway connection presents the same one call
    /// after call, which this recognises without the shared cache's lock and hash.
    private let lastVerified = LoopLocal { LastVerified() }

    /// An interceptor checking signatures with `signer`.
    public init(signer: PrincipalSigner) {
        self.signer = signer
    }

    /// Verifies the call's signed principal and attaches it, or throws UNAUTHENTICATED (the
    /// server runs this on its own, `interceptImmediately`; this is for a chain of interceptors).
    public func intercept(context: ServerContext, next: (ServerContext) async throws -> Void) async throws {
        let admitted = try verified(context)
        try await ServerContext.$current.withValue(admitted) {
            try await next(admitted)
        }
    }

    /// The check needs nothing after the handler and never waits: the server runs it on the
    /// connection's loop before the handler's task starts.
    public func interceptImmediately(_ context: ServerContext) throws -> ServerContext? {
        try verified(context)
    }

    /// `context` with its verified principal attached (unchanged for the health service).
    /// - Throws: UNAUTHENTICATED "calls must come through the gateway".
    private func verified(_ context: ServerContext) throws(RPCError) -> ServerContext {
        let value = context.metadata[PrincipalSigner.metadataKey]
        // The value the loop verified last, for the same method, is recognised before anything
        // else: a remembered method is never the health service's, whose calls are not verified.
        // The coarse clock plus its resolution is never early: a remembered value is refused at
        // most that much before its expiry, never accepted after it.
        if let value {
            let latest = CoarseClock.unixMillis() + CoarseClock.resolutionMillis
            if let known = lastVerified.withCurrent({ $0.principal(for: value, method: context.method, nowMillis: latest) }) ?? nil {
                return context.attaching(known)
            }
        }
        if context.method.service == Self.unsignedService { return context }
        guard let value else {
            throw RPCError(.unauthenticated, "calls must come through the gateway")
        }
        let principal: PreparedContextValue<PrincipalKey>
        let now = Date()
        let nowMillis = PrincipalSigner.unixMilliseconds(now)
        if let known = verifiedValues.principal(for: value, method: context.method.fullName, nowMillis: nowMillis) {
            principal = PreparedContextValue(known.principal)
            lastVerified.withCurrent {
                $0.remember(value, principal: principal, method: context.method, notAfterUnixMs: known.notAfterUnixMs)
            }
        } else {
            do {
                let signature = try signer.verifiedSignature(value, method: context.method.fullName, now: now)
                principal = PreparedContextValue(VerifiedPrincipal(signature.principal))
                verifiedValues.store(
                    value, principal: principal.value, method: context.method.fullName, notAfterUnixMs: signature.notAfterUnixMs,
                    now: now)
                lastVerified.withCurrent {
                    $0.remember(value, principal: principal, method: context.method, notAfterUnixMs: signature.notAfterUnixMs)
                }
            } catch {
                throw RPCError(.unauthenticated, "calls must come through the gateway: \(error.message)")
            }
        }
        return context.attaching(principal)
    }
}

/// The signed value an event loop verified last, for its method, and until when it is valid; its
/// principal is kept ready to attach (`PreparedContextValue`), so a repeated value costs a call
/// no allocation.
private final class LastVerified {
    private var value = ""
    private var method: MethodDescriptor?
    private var principal: PreparedContextValue<PrincipalKey>?
    private var notAfterUnixMs: Int64 = 0

    /// The principal of `value` if it is the one remembered, for the same method, still valid.
    func principal(for value: String, method: MethodDescriptor, nowMillis: Int64) -> PreparedContextValue<PrincipalKey>? {
        guard self.method === method, notAfterUnixMs >= nowMillis, self.value == value else { return nil }
        return principal
    }

    func remember(_ value: String, principal: PreparedContextValue<PrincipalKey>, method: MethodDescriptor, notAfterUnixMs: Int64) {
        self.value = value
        self.method = method
        self.principal = principal
        self.notAfterUnixMs = notAfterUnixMs
    }
}
