import Foundation

import RPC

/// The credential a client presents in its call's `authorization` metadata:
/// `Bearer <session token or API key>` (or `ApiKey <key>`).
public enum Credential {
    /// The schemes accepted before the credential, compared case-insensitively.
    public static let schemes = ["bearer", "apikey"]

    /// The credential in `metadata`: `nil` when there is no `authorization` entry.
    /// - Throws: UNAUTHENTICATED when the entry is there but not `<scheme> <credential>`.
    public static func from(_ metadata: Metadata) throws(RPCError) -> String? {
        guard let value = metadata[Metadata.Keys.authorization] else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, schemes.contains(parts[0].lowercased()) else {
            throw RPCError(.unauthenticated, "the authorization metadata must be \"Bearer <token>\"")
        }
        let credential = parts[1].trimmingCharacters(in: .whitespaces)
        guard !credential.isEmpty, credential.utf8.count <= 1024 else {
            throw RPCError(.unauthenticated, "the authorization metadata must be \"Bearer <token>\"")
        }
        return credential
    }
}
