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
public struct TrustedCallerInterceptor: ServerInterceptor {
    /// The service whose methods need no signature: launchers and load balancers probe it directly.
    public static let unsignedService = "backoffice.health.Health"

    /// Verifies the signatures.
    public let signer: PrincipalSigner
    /// Values that verified already (the gateway presents each one for up to a second).
    private let verifiedValues = VerifiedSignatureCache()

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
        if context.method.service == Self.unsignedService { return context }
        guard let value = context.metadata[PrincipalSigner.metadataKey] else {
            throw RPCError(.unauthenticated, "calls must come through the gateway")
        }
        let principal: VerifiedPrincipal
        let now = Date()
        if let known = verifiedValues.principal(for: value, method: context.method.fullName, now: now) {
            principal = known
        } else {
            do {
                let signature = try signer.verifiedSignature(value, method: context.method.fullName, now: now)
                principal = VerifiedPrincipal(signature.principal)
                verifiedValues.store(
                    value, principal: principal, method: context.method.fullName, notAfterUnixMs: signature.notAfterUnixMs, now: now)
            } catch {
                throw RPCError(.unauthenticated, "calls must come through the gateway: \(error.message)")
            }
        }
        var context = context
        context[PrincipalKey.self] = principal
        return context
    }
}
