import Foundation
import Glibc
import RPC

/// How the command-line client reaches the gateway and who it is there: the gateway's address
/// (`--gateway`, else BACKOFFICE_GATEWAY, else 127.0.0.1:7000) and the saved session token.
struct GatewayConnection: Sendable {
    static let defaultAddress = "127.0.0.1:7000"

    let address: SocketAddress
    let token: String?

    /// The connection the options and environment name; throws `UsageError` for a bad address.
    init(option: String?, context: CommandContext) throws(UsageError) {
        let text = option ?? context.environment["BACKOFFICE_GATEWAY"] ?? Self.defaultAddress
        guard let address = SocketAddress(parsing: text) else {
            throw UsageError("the gateway address must be HOST:PORT, not \(text)")
        }
        self.address = address
        self.token = SessionFile(context: context).read()
    }

    /// Call options carrying the session token, if any.
    func callOptions(timeout: Duration?) -> CallOptions {
        var metadata = Metadata()
        if let token { metadata["authorization"] = "Bearer \(token)" }
        return CallOptions(timeout: timeout, metadata: metadata)
    }

    /// A client that fails fast when the gateway is not there.
    func client() -> RPCClient {
        var configuration = RPCClient.Configuration()
        configuration.connections = 1
        return RPCClient(target: address, configuration: configuration)
    }
}

/// The saved session token: `$BACKOFFICE_SESSION_FILE`, else `$XDG_CONFIG_HOME/backoffice/session`,
/// else `~/.config/backoffice/session`; readable by its owner only (mode 0600 in a 0700 folder).
struct SessionFile {
    let path: URL

    init(context: CommandContext) {
        if let explicit = context.environment["BACKOFFICE_SESSION_FILE"], !explicit.isEmpty {
            path = URL(fileURLWithPath: explicit)
        } else {
            let base =
                context.environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
                ?? URL(fileURLWithPath: context.environment["HOME"] ?? NSHomeDirectory()).appendingPathComponent(".config")
            path = base.appendingPathComponent("backoffice").appendingPathComponent("session")
        }
    }

    /// The token, or `nil` when none is saved.
    func read() -> String? {
        guard let data = FileManager.default.contents(atPath: path.path) else { return nil }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return token.isEmpty ? nil : token
    }

    /// Saves `token`, readable by the owner only, replacing any other atomically.
    func write(_ token: String) throws {
        let folder = path.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let temporary = folder.appendingPathComponent(".session.\(getpid())")
        guard
            FileManager.default.createFile(
                atPath: temporary.path, contents: Data((token + "\n").utf8), attributes: [.posixPermissions: 0o600])
        else { throw UsageError("cannot write \(temporary.path)") }
        guard rename(temporary.path, path.path) == 0 else {
            try? FileManager.default.removeItem(at: temporary)
            throw UsageError("cannot save the session in \(path.path): \(String(cString: strerror(errno)))")
        }
    }

    /// Forgets the token.
    func remove() {
        try? FileManager.default.removeItem(at: path)
    }
}
