import BackofficeAPI
import Crypto
import Foundation
import RPC

/// Signs and verifies the `x-backoffice-principal` metadata entry: the caller's principal, bound
/// to one method and a short validity window, authenticated with the suite's internal key.
///
/// The value is the URL-safe base64 (no padding) of an encoded `Auth.SignedPrincipal`. Its `mac`
/// is HMAC-SHA-512-256 (`MessageAuthenticator`) over `macInput`: a domain-separation label
/// followed by the principal bytes, the method name, `not_after_unix_ms` and the nonce, each
/// length-prefixed, so no two different tuples share an input and no other use of the key can
/// produce a valid principal signature.
///
/// The gateway signs with `metadataValue(for:method:validFor:)`; services check with `verify`,
/// usually through `TrustedCallerInterceptor`.
public struct PrincipalSigner: Sendable {
    /// The metadata key that carries the signed principal.
    public static let metadataKey = "x-backoffice-principal"
    /// The furthest in the future a signature may expire: longer-lived ones are refused.
    public static let maximumValidity: Duration = .seconds(600)
    /// The number of random bytes in each signature's nonce.
    public static let nonceByteCount = 16
    /// The label that starts every MAC input, so these MACs mean nothing elsewhere.
    static let domain = Array("backoffice.principal.v1".utf8)
    /// Longer metadata values are refused before any decoding (a principal is a few hundred bytes).
    static let maximumValueLength = 16 * 1024

    private let authenticator: MessageAuthenticator

    /// A signer and verifier with the suite's internal key.
    public init(key: SecretKey) {
        authenticator = MessageAuthenticator(key: key)
    }

    /// The metadata value presenting `principal` for one call of `method` (a full name such as
    /// `backoffice.echo.Echo/Unary`), valid from `now` for `validFor` (at most ten minutes).
    public func metadataValue(
        for principal: Auth.Principal, method: String, validFor: Duration, now: Date = Date()
    ) -> String {
        var signed = Auth.SignedPrincipal()
        signed.principal = principal.serializedBytes()
        signed.method = method
        signed.notAfterUnixMs = Self.unixMilliseconds(now) + Self.milliseconds(validFor)
        signed.nonce = SecureRandom.bytes(Self.nonceByteCount)
        signed.mac = authenticator.sign(Self.macInput(signed))
        return Base64URL.encode(signed.serializedBytes())
    }

    /// The principal `value` presents, once it is known to be well formed, signed with this key,
    /// for `method` and within its validity window at `now`.
    /// - Throws: `RPCError` UNAUTHENTICATED saying which check failed.
    public func verify(_ value: String, method: String, now: Date = Date()) throws(RPCError) -> Auth.Principal {
        try verifiedSignature(value, method: method, now: now).principal
    }

    /// What `verify` checks, returning the signature's expiry too (for caching the result).
    func verifiedSignature(
        _ value: String, method: String, now: Date
    ) throws(RPCError) -> (principal: Auth.Principal, notAfterUnixMs: Int64) {
        guard value.utf8.count <= Self.maximumValueLength, let bytes = Base64URL.decode(value) else {
            throw RPCError(.unauthenticated, "the signed principal is not URL-safe base64")
        }
        let signed: Auth.SignedPrincipal
        do {
            signed = try Auth.SignedPrincipal(serializedBytes: bytes)
        } catch {
            throw RPCError(.unauthenticated, "the signed principal is not a valid SignedPrincipal")
        }
        guard authenticator.verify(signed.mac, for: Self.macInput(signed)) else {
            throw RPCError(.unauthenticated, "the signed principal's signature does not verify")
        }
        guard signed.method == method else {
            throw RPCError(.unauthenticated, "the signed principal is for another method")
        }
        let nowMillis = Self.unixMilliseconds(now)
        guard signed.notAfterUnixMs >= nowMillis else {
            throw RPCError(.unauthenticated, "the signed principal has expired")
        }
        guard signed.notAfterUnixMs - nowMillis <= Self.milliseconds(Self.maximumValidity) else {
            throw RPCError(.unauthenticated, "the signed principal is valid for longer than allowed")
        }
        do {
            return (try Auth.Principal(serializedBytes: signed.principal), signed.notAfterUnixMs)
        } catch {
            throw RPCError(.unauthenticated, "the signed principal does not hold a valid Principal")
        }
    }

    /// What the MAC covers: the domain label, then principal bytes, method and nonce each preceded
    /// by its length as 4 big-endian bytes, with `not_after_unix_ms` as 8 big-endian bytes before
    /// the nonce.
    static func macInput(_ signed: Auth.SignedPrincipal) -> [UInt8] {
        var input: [UInt8] = []
        input.reserveCapacity(Self.domain.count + signed.principal.count + signed.method.utf8.count + 40)
        func appendLengthPrefixed(_ bytes: some Collection<UInt8>) {
            input.append(contentsOf: withUnsafeBytes(of: UInt32(truncatingIfNeeded: bytes.count).bigEndian, Array.init))
            input.append(contentsOf: bytes)
        }
        appendLengthPrefixed(Self.domain)
        appendLengthPrefixed(signed.principal)
        appendLengthPrefixed(Array(signed.method.utf8))
        input.append(contentsOf: withUnsafeBytes(of: signed.notAfterUnixMs.bigEndian, Array.init))
        appendLengthPrefixed(signed.nonce)
        return input
    }

    /// Milliseconds since the Unix epoch.
    static func unixMilliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    /// A duration in whole milliseconds (sub-millisecond remainders dropped).
    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
