import AccessControl
import BackofficeAPI
import Crypto
import Foundation
import RPC
import ServiceRuntime
import Testing
import TestSupport
import UsersService

/// A `backoffice-users` process talking to a `FakeAccounts` served in-process, both checking
/// signatures made with one internal key; and the principals tests call as.
struct UsersSession {
    let process: ServiceProcess
    let client: RPCClient
    let fake: FakeAccounts
    let dataDirectory: String

    var users: Users.UsersClient { Users.UsersClient(channel: client) }

    /// Call options signed for `principal` and `method`.
    func options(_ principal: Auth.Principal, _ method: MethodDescriptor) -> CallOptions {
        CallOptions.forwarding(principal, method: method, signer: UsersFixture.signer, timeout: .seconds(10))
    }

    /// Every account the users service lists, as the test administrator.
    func allUsers() async throws -> [Users.User] {
        var request = Users.ListUsersRequest()
        request.pageSize = 200
        return try await users.listUsers(request, options: options(UsersFixture.admin, Users.UsersService.listUsers)).users
    }

    /// Registers a customer as an anonymous caller.
    func register(_ username: String, email: String? = nil, password: String = "correct horse battery") async throws -> Users.User {
        var request = Users.RegisterCustomerRequest()
        request.username = username
        request.email = email ?? "\(username)@example.com"
        request.password = password
        request.displayName = username.capitalized
        return try await users.registerCustomer(request, options: options(.anonymous, Users.UsersService.registerCustomer))
    }
}

enum UsersFixture {
    static let key = SecretKey.random()
    static let signer = PrincipalSigner(key: key)

    /// A member of staff with the admin role.
    static let admin: Auth.Principal = staff(id: "u_test_admin", roles: [.admin])

    static func staff(id: String, roles: [BuiltInRole]) -> Auth.Principal {
        var principal = Auth.Principal()
        principal.subjectId = id
        principal.kind = .staff
        principal.roles = roles.map(\.rawValue)
        principal.permissions = roles.flatMap(\.permissions).map(\.rawValue).sorted()
        return principal
    }

    static func customer(id: String) -> Auth.Principal {
        var principal = Auth.Principal()
        principal.subjectId = id
        principal.kind = .customer
        principal.roles = ["customer"]
        return principal
    }

    static func temporaryDirectory() -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("users-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    /// Serves `fake` (checking signatures) on a free port.
    static func withFakeSecurity<T>(_ fake: FakeAccounts, _ body: (SocketAddress) async throws -> T) async throws -> T {
        try await TestServer.with(
            services: [fake], configure: { $0.interceptors.insert(TrustedCallerInterceptor(signer: signer), at: 0) }
        ) { _, address in try await body(address) }
    }

    /// Starts `backoffice-users` on a free port against `security`.
    static func startUsers(
        security: SocketAddress, dataDirectory: String, environment: [String: String] = [:], internalKey: SecretKey = key
    ) async throws -> ServiceProcess {
        var environment = environment
        if environment[AdminBootstrap.passwordVariable] == nil {
            environment[AdminBootstrap.passwordVariable] = ""
        }
        return try await ServiceProcess(
            "backoffice-users",
            arguments: [
                "--data-dir", dataDirectory, "--security", security.description, "--internal-key", internalKey.exportHex(),
            ], environment: environment)
    }

    /// Runs `body` with a users process over a fake security service, once the bootstrap
    /// administrator exists; stops the process and removes its data afterwards.
    static func withUsers<T>(
        fake: FakeAccounts = FakeAccounts(), _ body: (UsersSession) async throws -> T
    ) async throws -> T {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        return try await withFakeSecurity(fake) { address in
            let process = try await startUsers(security: address, dataDirectory: directory)
            defer { process.stop() }
            return try await TestServer.withClient(process.address) { client in
                let session = UsersSession(process: process, client: client, fake: fake, dataDirectory: directory)
                try await waitUntil("the bootstrap administrator exists") { try await session.allUsers().count == 1 }
                return try await body(session)
            }
        }
    }

    /// Polls `condition` every 20 ms for at most `seconds`; fails the test if it never holds.
    static func waitUntil(_ what: String, seconds: Double = 10, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("timed out waiting until \(what)")
        throw CancellationError()
    }

    /// The RPCError `body` throws; records an issue when it succeeds or throws something else.
    static func rpcError(_ body: () async throws -> Void) async -> RPCError? {
        do {
            try await body()
            Issue.record("expected the call to fail")
            return nil
        } catch let error as RPCError {
            return error
        } catch {
            Issue.record("expected an RPCError, got \(error)")
            return nil
        }
    }
}
