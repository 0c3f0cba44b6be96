import BackofficeAPI
import Crypto
import Foundation
import RPC
import ServiceRuntime

/// The "through the gateway" row's client side: a real session from the real security service,
/// presented on every call.
enum GatewayBenchmark {
    static let password = "correct horse battery staple 42"

    /// Call options with `authorization: Bearer <token>`, the token read from `tokenFile`.
    static func options(tokenFile: String) throws -> CallOptions {
        let token = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        return CallOptions(metadata: [Metadata.Keys.authorization: "Bearer \(token)"])
    }

    /// Creates the account `bench` (signed as a service, straight at the security service), logs
    /// in through the gateway and prints the session token.
    static func login(security: String, gateway: String, keyHex: String) async throws {
        guard let securityAddress = SocketAddress(parsing: security), let gatewayAddress = SocketAddress(parsing: gateway) else {
            throw RPCError(.invalidArgument, "addresses must be host:port")
        }
        let signer = PrincipalSigner(key: try SecretKey(hex: keyHex))
        let securityClient = RPCClient(target: securityAddress)
        let gatewayClient = RPCClient(target: gatewayAddress)
        defer {
            Task {
                await securityClient.close()
                await gatewayClient.close()
            }
        }
        var account = Security.CreateAccountRequest()
        account.userId = "u_bench"
        account.username = "bench"
        account.email = "bench@example.com"
        account.kind = .staff
        account.password = password
        account.roles = ["analyst"]
        account.displayName = "Benchmark"
        _ = try await Security.AccountsClient(channel: securityClient).createAccount(
            account,
            options: .forwarding(
                .service(named: "backoffice-bench"), method: Security.AccountsService.createAccount, signer: signer,
                timeout: .seconds(10)))
        var login = Security.LoginRequest()
        login.login = "bench"
        login.password = password
        let response = try await Security.SessionsClient(channel: gatewayClient).login(login, options: CallOptions(timeout: .seconds(10)))
        print(response.token)
    }
}
