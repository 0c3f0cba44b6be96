/// Metadata keys the gateway sets on the calls it forwards, next to the signed principal
/// (`PrincipalSigner.metadataKey`). The gateway drops any value a client sent under these keys,
/// and services trust them only on calls that carry a valid gateway signature.
public enum SuiteMetadata {
    /// The client's address as the gateway saw it, `host:port` (login throttling, audit, logs).
    public static let clientAddress = "x-backoffice-client-address"
}
