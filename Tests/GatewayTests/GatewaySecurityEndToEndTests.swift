import AccessControl
import BackofficeAPI
import Crypto
import Foundation
import RPC
import ServiceRuntime
import Testing
import TestSupport

/// The real suite in small: `backoffice-security`, `backoffice-echo` and `backoffice-gateway` as
/// processes sharing one internal key. Accounts are created straight at the security service as
/// the users service would; everything else goes through the gateway.
final class SuiteFixture: Sendable {
    static let password = "correct horse battery staple"

    let key = SecretKey.random()
    let directory: URL
    let security: ServiceProcess
    let echo: ServiceProcess
    let gateway: ServiceProcess
    /// Straight to the security service, signed as the users service.
    let securityClient: RPCClient
    /// To the gateway, as a client would.
    let client: RPCClient

    init() async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-suite-\(UUID().uuidString)")
        let hex = key.exportHex()
        security = try await ServiceProcess(
            "backoffice-security", arguments: ["--data-dir", directory.appendingPathComponent("security").path],
            environment: ["BACKOFFICE_SECURITY_INTERNAL_KEY": hex])
        echo = try await ServiceProcess("backoffice-echo", environment: ["BACKOFFICE_ECHO_INTERNAL_KEY": hex])
        // Stats is routed to a closed port: calls the gateway lets through end UNAVAILABLE there.
        let routes =
            "backoffice.security=\(security.address);backoffice.audit=\(security.address);backoffice.echo=\(echo.address);backoffice.stats=127.0.0.1:1"
        gateway = try await ServiceProcess(
            "backoffice-gateway",
            arguments: ["--data-dir", directory.appendingPathComponent("gateway").path, "--routes", routes, "--health-interval", "100ms"],
            environment: ["BACKOFFICE_GATEWAY_INTERNAL_KEY": hex])
        securityClient = RPCClient(target: security.address)
        client = RPCClient(target: gateway.address)
    }

    func stop() async {
        await client.close()
        await securityClient.close()
        for process in [gateway, echo, security] { process.stop() }
        for process in [gateway, echo, security] { _ = await process.waitForExit(timeout: 10) }
        try? FileManager.default.removeItem(at: directory)
    }

    static func with(_ body: (SuiteFixture) async throws -> Void) async throws {
        let fixture = try await SuiteFixture()
        do {
            try await body(fixture)
            await fixture.stop()
        } catch {
            await fixture.stop()
            throw error
        }
    }

    /// Options signed as the users service, for calls straight to the security service.
    func asUsersService(_ method: MethodDescriptor) -> CallOptions {
        .forwarding(.service(named: "backoffice-users"), method: method, signer: PrincipalSigner(key: key), timeout: .seconds(10))
    }

    /// Creates an account with `roles` (straight at the security service).
    func createAccount(_ userID: String, roles: [String], kind: Auth.PrincipalKind = .staff) async throws {
        var request = Security.CreateAccountRequest()
        request.userId = userID
        request.username = userID
        request.email = "\(userID)@example.com"
        request.kind = kind
        request.password = Self.password
        request.roles = roles
        request.displayName = userID
        _ = try await Security.AccountsClient(channel: securityClient).createAccount(
            request, options: asUsersService(Security.AccountsService.createAccount))
    }

    /// Logs in through the gateway (Login is public) and returns the session token.
    func login(_ userID: String) async throws -> String {
        var request = Security.LoginRequest()
        request.login = userID
        request.password = Self.password
        return try await Security.SessionsClient(channel: client).login(request, options: CallOptions(timeout: .seconds(10))).token
    }
}

@Suite(.timeLimit(.minutes(1)))
struct GatewaySecurityEndToEndTests {
    @Test func loginThroughTheGatewayCallEchoAndLogoutTakesEffectWithinOneSecond() async throws {
        try await SuiteFixture.with { suite in
            try await suite.createAccount("u_admin", roles: ["admin"])
            let token = try await suite.login("u_admin")
            #expect(token.hasPrefix("bos_"))
            let echo = Echo.EchoClient(channel: suite.client)
            // Twice: the second call finds the caller in the cache and leaves it with its event loop.
            for _ in 0..<2 {
                #expect(try await echo.unary(.with(payload: [1]), options: GatewayFixture.bearer(token)).payload == [1])
            }

            _ = try await Security.SessionsClient(channel: suite.client).logout(
                Security.LogoutRequest(), options: GatewayFixture.bearer(token))
            let loggedOutAt = ContinuousClock.now
            // A logout through this gateway is refused here at once, whatever its loops remember.
            let next = await rpcError { _ = try await echo.unary(.with(), options: GatewayFixture.bearer(token)) }
            #expect(next?.code == .unauthenticated)
            // Within the cache's one second: no call sent later gets through.
            let stale = await GatewayFixture.staleCredential(since: loggedOutAt) {
                await rpcError { _ = try await echo.unary(.with(), options: GatewayFixture.bearer(token)) }?.code
            }
            #expect(stale.refused)
            #expect(stale.lateSuccesses == 0)

            // Login and logout are mutating: both reached the audit trail through the gateway's spool.
            try await suite.createAccount("u_auditor", roles: ["admin"])
            let auditor = try await suite.login("u_auditor")
            let audit = Audit.AuditClient(channel: suite.client)
            let logged = await GatewayFixture.eventually {
                let entries = (try? await audit.query(Audit.QueryRequest(), options: GatewayFixture.bearer(auditor)))?.entries ?? []
                let methods = Set(entries.compactMap { $0.record?.method })
                return methods.isSuperset(of: [Security.SessionsService.login.fullName, Security.SessionsService.logout.fullName])
            }
            #expect(logged)
            var byAdmin = Audit.QueryRequest()
            byAdmin.method = Security.SessionsService.logout.fullName
            let logout = try await audit.query(byAdmin, options: GatewayFixture.bearer(auditor)).entries.first?.record
            #expect(logout?.actor == "u_admin")
            #expect(logout?.outcome == "OK")
            #expect(logout?.clientAddress.hasPrefix("127.0.0.1:") == true)
        }
    }

    @Test func aDeactivatedUsersTokenIsRefusedWithinOneSecond() async throws {
        try await SuiteFixture.with { suite in
            try await suite.createAccount("u_leaving", roles: ["analyst"])
            let token = try await suite.login("u_leaving")
            let echo = Echo.EchoClient(channel: suite.client)
            _ = try await echo.unary(.with(), options: GatewayFixture.bearer(token))
            var request = Security.SetAccountStatusRequest()
            request.userId = "u_leaving"
            request.status = .deactivated
            _ = try await Security.AccountsClient(channel: suite.securityClient).setAccountStatus(
                request, options: suite.asUsersService(Security.AccountsService.setAccountStatus))
            let deactivatedAt = ContinuousClock.now
            // Within the cache's one second: no call sent later gets through.
            let stale = await GatewayFixture.staleCredential(since: deactivatedAt) {
                await rpcError { _ = try await echo.unary(.with(), options: GatewayFixture.bearer(token)) }?.code
            }
            #expect(stale.refused)
            #expect(stale.lateSuccesses == 0)
        }
    }

    /// Each built-in role against a sample of methods: allowed calls pass the gateway (and end OK,
    /// or UNAVAILABLE for stats, which is routed to a closed port), denied ones are PERMISSION_DENIED.
    @Test func roleMatrix() async throws {
        let samples: [(MethodDescriptor, @Sendable (RPCClient, CallOptions) async throws -> Void)] = [
            (Echo.EchoService.unary, { _ = try await Echo.EchoClient(channel: $0).unary(.with(), options: $1) }),
            (
                Security.SessionsService.listMySessions,
                { _ = try await Security.SessionsClient(channel: $0).listMySessions(.init(), options: $1) }
            ),
            (Audit.AuditService.query, { _ = try await Audit.AuditClient(channel: $0).query(.init(), options: $1) }),
            (Security.RolesService.listRoles, { _ = try await Security.RolesClient(channel: $0).listRoles(.init(), options: $1) }),
            (
                Security.AccountsService.listAccountRoles,
                { _ = try await Security.AccountsClient(channel: $0).listAccountRoles(.init(), options: $1) }
            ),
            (Stats.IngestService.ingestBatch, { _ = try await Stats.IngestClient(channel: $0).ingestBatch(.init(), options: $1) }),
        ]
        try await SuiteFixture.with { suite in
            for role in BuiltInRole.allCases {
                try await suite.createAccount("u_\(role.rawValue)", roles: [role.rawValue], kind: role == .customer ? .customer : .staff)
                let token = try await suite.login("u_\(role.rawValue)")
                for (method, call) in samples {
                    let rule = try #require(AccessPolicy.entry(for: method.fullName)).rule
                    let allowed: Bool
                    switch rule {
                    case .public, .authenticated: allowed = true
                    case .permission(let permission): allowed = role.permissions.contains(permission)
                    }
                    let error = await rpcError { try await call(suite.client, GatewayFixture.bearer(token)) }
                    if allowed {
                        let expected: StatusCode = method.service == Stats.IngestService.descriptor.name ? .unavailable : .ok
                        #expect(error?.code ?? .ok == expected, "\(role) \(method): \(String(describing: error))")
                    } else {
                        #expect(error?.code == .permissionDenied, "\(role) \(method): \(String(describing: error))")
                    }
                }
            }
        }
    }
}
