import AccessControl
import BackofficeAPI
import Crypto
import Foundation
import RPC
import ServiceRuntime
import TestSupport

/// Principals and credentials the fake security service knows.
enum TestPrincipals {
    static func make(
        _ subject: String, kind: Auth.PrincipalKind = .staff, permissions: [Permission] = [], expiresInMs: Int64 = 3_600_000
    )
        -> Auth.Principal
    {
        var principal = Auth.Principal()
        principal.subjectId = subject
        principal.kind = kind
        principal.permissions = permissions.map(\.rawValue)
        principal.expiresAtUnixMs = Int64(Date().timeIntervalSince1970 * 1000) + expiresInMs
        principal.displayName = subject
        return principal
    }

    /// A logged-in member of staff without permissions.
    static let user = make("u_plain")
    /// A program holding `suite.internal` (may call Accounts and Audit.Append).
    static let internalProgram = make("k_internal", kind: .program, permissions: [.suiteInternal])
    /// Holds `audit.read`.
    static let auditor = make("u_auditor", permissions: [.auditRead])
}

/// The suite in small: a fake security service in this process, the real echo executable and the
/// real gateway executable, all on loopback with one internal key, and a client of the gateway.
final class GatewayFixture: @unchecked Sendable {
    // @unchecked Sendable: the mutable `echo` is only replaced by the test that owns the fixture.
    let key = SecretKey.random()
    let fake = FakeSecurity()
    let security: RPCServer
    let securityAddress: SocketAddress
    var echo: ServiceProcess
    /// More echo instances, routed beside `echo`.
    let extraEchoes: [ServiceProcess]
    var gateway: ServiceProcess
    let dataDirectory: URL
    let client: RPCClient
    let gatewayArguments: [String]

    /// Starts everything; `auditRoute` overrides where the gateway sends audit records.
    init(gatewayArguments: [String] = [], auditRoute: String? = nil, echoInstances: Int = 1) async throws {
        var configuration = RPCServer.Configuration()
        configuration.interceptors = [TrustedCallerInterceptor(signer: PrincipalSigner(key: key))]
        security = RPCServer(configuration: configuration, services: fake.services)
        securityAddress = try await security.start()
        echo = try await ServiceProcess("backoffice-echo", arguments: ["--internal-key", key.exportHex()])
        var extraEchoes: [ServiceProcess] = []
        for _ in 1..<max(1, echoInstances) {
            extraEchoes.append(try await ServiceProcess("backoffice-echo", arguments: ["--internal-key", key.exportHex()]))
        }
        self.extraEchoes = extraEchoes
        dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-test-\(UUID().uuidString)")
        let routes =
            "backoffice.security=\(securityAddress);backoffice.audit=\(auditRoute ?? securityAddress.description);backoffice.echo=\(([echo] + extraEchoes).map(\.address.description).joined(separator: ","))"
        self.gatewayArguments =
            ["--internal-key", key.exportHex(), "--data-dir", dataDirectory.path, "--routes", routes, "--health-interval", "100ms"]
            + gatewayArguments
        gateway = try await ServiceProcess("backoffice-gateway", arguments: self.gatewayArguments)
        var clientConfiguration = RPCClient.Configuration()
        clientConfiguration.backoff.initial = .milliseconds(20)
        clientConfiguration.backoff.maximum = .milliseconds(100)
        client = RPCClient(target: gateway.address, configuration: clientConfiguration)
        fake.accept("tok-user", as: TestPrincipals.user)
        fake.accept("tok-internal", as: TestPrincipals.internalProgram)
        fake.accept("tok-auditor", as: TestPrincipals.auditor)
    }

    /// Stops everything this fixture started.
    func stop() async {
        await client.close()
        gateway.stop()
        for process in [echo] + extraEchoes { process.stop() }
        _ = await gateway.waitForExit(timeout: 10)
        for process in [echo] + extraEchoes { _ = await process.waitForExit(timeout: 10) }
        await security.shutdown()
        try? FileManager.default.removeItem(at: dataDirectory)
    }

    /// Runs `body` with a started fixture and stops it afterwards, also when `body` throws.
    static func with<T>(
        gatewayArguments: [String] = [], auditRoute: String? = nil, echoInstances: Int = 1, _ body: (GatewayFixture) async throws -> T
    ) async throws -> T {
        let fixture = try await GatewayFixture(gatewayArguments: gatewayArguments, auditRoute: auditRoute, echoInstances: echoInstances)
        do {
            let result = try await body(fixture)
            await fixture.stop()
            return result
        } catch {
            await fixture.stop()
            throw error
        }
    }

    /// Call options presenting `credential` as `Bearer`.
    static func bearer(_ credential: String, timeout: Duration? = .seconds(5), metadata: Metadata = Metadata()) -> CallOptions {
        var metadata = metadata
        metadata[Metadata.Keys.authorization] = "Bearer \(credential)"
        return CallOptions(timeout: timeout, metadata: metadata)
    }

    var echoClient: Echo.EchoClient { Echo.EchoClient(channel: client) }

    /// How many calls of `method` the process at `address` has served (its Health/Metrics).
    static func callCount(_ method: MethodDescriptor, at address: SocketAddress) async throws -> UInt64 {
        let client = RPCClient(target: address)
        defer { Task { await client.close() } }
        var request = Health.MetricsRequest()
        request.methodPrefix = method.fullName
        let metrics = try await Health.HealthClient(channel: client).metrics(request, options: CallOptions(timeout: .seconds(5)))
        return metrics.methods.first { $0.method == method.fullName }?.calls ?? 0
    }

    /// What became of a credential that stopped working: whether the gateway refused it within
    /// 10 s, and how many calls it still let through although they were sent more than the
    /// cache's one second (plus 100 ms of clock slack) after `since`.
    struct StaleCredential {
        var refused = false
        var lateSuccesses = 0
    }

    /// Calls `call` with a credential that stopped working at `since` (after the gateway last
    /// looked it up) until the gateway refuses it. The cache's bound is checked on when each call
    /// was sent, not on when the refusal came: a test task that runs late on a loaded machine
    /// makes fewer calls, and none of them can fail the check wrongly.
    static func staleCredential(
        since: ContinuousClock.Instant, _ call: () async -> StatusCode?
    ) async -> StaleCredential {
        var outcome = StaleCredential()
        let deadline = since + .seconds(10)
        for _ in 0..<500 where ContinuousClock.now < deadline {
            let sentAt = ContinuousClock.now
            let code = await call()
            if code == .unauthenticated {
                outcome.refused = true
                break
            }
            if code == nil, sentAt - since > .milliseconds(1100) { outcome.lateSuccesses += 1 }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return outcome
    }

    /// Waits (bounded polling) until `condition` holds; false if it never did within `seconds`.
    static func eventually(within seconds: Double = 5, _ condition: () async -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return await condition()
    }
}
