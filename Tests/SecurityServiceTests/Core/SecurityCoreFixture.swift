import AccessControl
import BackofficeAPI
import Crypto
import Foundation
import RPC
import ServiceRuntime
import Storage
import Testing

@testable import SecurityService

/// A `SecurityCore` over a fresh database in a temporary directory, with a manual clock and the
/// fast test hashing parameters, plus helpers for the common steps. Deleted when released.
final class SecurityCoreFixture: Sendable {
    static let password = "correct horse battery staple"
    static let service = Auth.Principal.service(named: "backoffice-users")

    let directory: String
    let clock: ManualClock
    let core: SecurityCore

    init(throttle: LoginThrottle.Policy = LoginThrottle.Policy()) async throws {
        directory =
            FileManager.default.temporaryDirectory.appendingPathComponent("security-core-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let clock = ManualClock()
        self.clock = clock
        core = try await SecurityCore.open(
            path: directory + "/security.sqlite",
            configuration: SecurityCore.Configuration(
                hasher: PasswordHasher(parameters: .testing), throttlePolicy: throttle, now: clock.now))
    }

    deinit {
        core.hashing.shutdown()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Creates an account as the users service (a trusted service principal).
    func createAccount(
        _ userID: String, username: String, email: String? = nil, password: String = password,
        kind: Auth.PrincipalKind = .staff, roles: [String] = [], caller: Auth.Principal? = service
    ) async throws {
        var request = Security.CreateAccountRequest()
        request.userId = userID
        request.username = username
        request.email = email ?? "\(username)@example.com"
        request.kind = kind
        request.password = password
        request.roles = roles
        _ = try await core.createAccount(request, caller: caller)
    }

    /// A second core over the same database file, as after a restart: nothing the first keeps in
    /// memory carries over. The caller shuts its hashing pool down.
    func restarted() async throws -> SecurityCore {
        try await SecurityCore.open(
            path: directory + "/security.sqlite",
            configuration: SecurityCore.Configuration(hasher: PasswordHasher(parameters: .testing), now: clock.now))
    }

    /// Logs in from `address`, on `core` (default: this fixture's).
    func login(
        _ login: String, _ password: String = password, from address: String = "198.51.100.7:4000",
        on core: SecurityCore? = nil
    ) async throws
        -> Security.LoginResponse
    {
        var request = Security.LoginRequest()
        request.login = login
        request.password = password
        return try await (core ?? self.core).login(request, clientAddress: address)
    }

    /// The principal for `credential`.
    func authenticate(_ credential: String) async throws -> Auth.Principal {
        var request = Security.AuthenticateRequest()
        request.credential = credential
        return try #require(try await core.authenticate(request).principal)
    }

    /// An admin account logged in, as its principal.
    func admin(_ userID: String = "u_admin", username: String = "root") async throws -> Auth.Principal {
        try await createAccount(userID, username: username, roles: ["admin"])
        return try #require(try await login(username).principal)
    }

    /// A staff principal holding exactly `permissions` (not stored: as the gateway would sign it).
    static func staff(_ subject: String, permissions: [Permission]) -> Auth.Principal {
        var principal = Auth.Principal()
        principal.subjectId = subject
        principal.kind = .staff
        principal.permissions = permissions.map(\.rawValue)
        return principal
    }

    /// The number of rows of `table`.
    func count(_ table: String, where condition: String = "1") async throws -> Int {
        try await core.database.read { db in
            try db.queryOne("SELECT count(*) AS n FROM \(table) WHERE \(condition)")?.int("n") ?? -1
        }
    }

    /// The kinds of the security events, oldest first.
    func eventKinds() async throws -> [String] {
        try await core.database.read { db in
            try db.query("SELECT kind FROM security_events ORDER BY sequence").map { try $0.string("kind") }
        }
    }
}
