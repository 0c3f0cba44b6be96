import BackofficeAPI
import Crypto
import Foundation
import ProtoRuntime
import RPC
import ServiceRuntime
import TestSupport

/// A channel that signs every call for one principal, as the gateway would
/// (`CallOptions.forwarding`), so tests speak to a service started with `--internal-key`.
struct SignedTestChannel: RPCChannel {
    let base: any RPCChannel
    let signer: PrincipalSigner
    let principal: Auth.Principal
    var metadata = Metadata()

    func options(_ options: CallOptions, _ method: MethodDescriptor) -> CallOptions {
        var metadata = options.metadata
        for (key, value) in self.metadata.entries { metadata[key] = value }
        return .forwarding(principal, method: method, signer: signer, timeout: options.timeout, metadata: metadata)
    }

    func unary<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: MethodDescriptor, _ request: Request, options: CallOptions
    ) async throws -> Response {
        try await base.unary(method, request, options: self.options(options, method))
    }

    func serverStreaming<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: MethodDescriptor, _ request: Request, options: CallOptions,
        onResponse: @escaping @Sendable (Response) async throws -> Void
    ) async throws {
        try await base.serverStreaming(method, request, options: self.options(options, method), onResponse: onResponse)
    }

    func clientStreaming<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: MethodDescriptor, options: CallOptions,
        requests: @escaping @Sendable (RequestWriter<Request>) async throws -> Void
    ) async throws -> Response {
        try await base.clientStreaming(method, options: self.options(options, method), requests: requests)
    }
}

/// The real `backoffice-security` process with an internal key and a temporary data directory,
/// and clients signed as various principals.
final class SecurityHarness: Sendable {
    let directory: String
    let key: SecretKey
    let signer: PrincipalSigner
    let process: ServiceProcess
    let client: RPCClient

    static let service = Auth.Principal.service(named: "backoffice-users")

    init() async throws {
        directory =
            FileManager.default.temporaryDirectory.appendingPathComponent("security-it-\(UUID().uuidString)").path
        key = SecretKey.random()
        signer = PrincipalSigner(key: key)
        process = try await ServiceProcess(
            "backoffice-security", arguments: ["--listen", "127.0.0.1:0", "--data-dir", directory],
            environment: ["BACKOFFICE_SECURITY_INTERNAL_KEY": key.exportHex()])
        var configuration = RPCClient.Configuration()
        configuration.backoff.initial = .milliseconds(20)
        configuration.backoff.maximum = .milliseconds(200)
        client = RPCClient(target: process.address, configuration: configuration)
    }

    /// Stops the process and removes the directory.
    func close() async {
        await client.close()
        process.stop()
        _ = await process.waitForExit(timeout: 10)
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A channel signed for `principal`, optionally passing a client address like the gateway.
    func channel(as principal: Auth.Principal, clientAddress: String? = nil) -> SignedTestChannel {
        var channel = SignedTestChannel(base: client, signer: signer, principal: principal)
        if let clientAddress { channel.metadata[SuiteMetadata.clientAddress] = clientAddress }
        return channel
    }

    var accounts: Security.AccountsClient { Security.AccountsClient(channel: channel(as: Self.service)) }
    var authentication: Security.AuthenticationClient {
        Security.AuthenticationClient(channel: channel(as: .service(named: "backoffice-gateway")))
    }
    func sessions(as principal: Auth.Principal = .anonymous, clientAddress: String? = nil) -> Security.SessionsClient {
        Security.SessionsClient(channel: channel(as: principal, clientAddress: clientAddress))
    }

    /// Creates an account through Accounts as the users service.
    func createAccount(
        _ userID: String, username: String, password: String, kind: Auth.PrincipalKind = .staff, roles: [String] = []
    ) async throws {
        var request = Security.CreateAccountRequest()
        request.userId = userID
        request.username = username
        request.email = "\(username)@example.com"
        request.kind = kind
        request.password = password
        request.roles = roles
        request.displayName = username.capitalized
        _ = try await accounts.createAccount(request)
    }

    /// Logs in and returns the response.
    func login(
        _ login: String, _ password: String, clientAddress: String = "203.0.113.9:5000"
    ) async throws
        -> Security.LoginResponse
    {
        var request = Security.LoginRequest()
        request.login = login
        request.password = password
        return try await sessions(clientAddress: clientAddress).login(request)
    }

    /// Authenticates a credential as the gateway.
    func authenticate(_ credential: String) async throws -> Security.AuthenticateResponse {
        var request = Security.AuthenticateRequest()
        request.credential = credential
        return try await authentication.authenticate(request)
    }
}
