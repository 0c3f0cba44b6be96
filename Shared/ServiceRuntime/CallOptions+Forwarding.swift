import BackofficeAPI
import RPC

extension CallOptions {
    /// Options for a call to `method` made on behalf of `principal`: the caller's principal when
    /// forwarding it, or the service's own (kind `.service`) when calling for itself. The
    /// signature is bound to `method` and valid for `validFor` (at most ten minutes).
    public static func forwarding(
        _ principal: Auth.Principal, method: MethodDescriptor, signer: PrincipalSigner,
        timeout: Duration? = nil, metadata: Metadata = Metadata(), validFor: Duration = .seconds(60)
    ) -> CallOptions {
        var metadata = metadata
        metadata[PrincipalSigner.metadataKey] = signer.metadataValue(
            for: principal, method: method.fullName, validFor: validFor)
        return CallOptions(timeout: timeout, metadata: metadata)
    }
}
