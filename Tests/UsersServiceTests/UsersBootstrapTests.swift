import BackofficeAPI
import Crypto
import Foundation
import Glibc
import RPC
import Testing
import TestSupport
import UsersService

/// The first start of an empty suite creates exactly one administrator through security; restarts
/// do not; a credential left by an interrupted attempt and a security service that is not up yet
/// are handled.
@Suite(.timeLimit(.minutes(1)))
struct UsersBootstrapTests {
    static func passwordLines(_ output: String) -> [String] {
        output.split(separator: "\n").filter { $0.hasPrefix("ADMIN PASSWORD ") }.map { String($0.dropFirst("ADMIN PASSWORD ".count)) }
    }

    @Test func theFirstStartPrintsTheAdminPasswordOnceAndARestartPrintsNothing() async throws {
        let fake = FakeAccounts()
        let directory = UsersFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await UsersFixture.withFakeSecurity(fake) { address in
            let first = try await UsersFixture.startUsers(security: address, dataDirectory: directory)
            defer { first.stop() }
            try await UsersFixture.waitUntil("the password is printed") { !Self.passwordLines(first.standardOutput).isEmpty }
            let passwords = Self.passwordLines(first.standardOutput)
            #expect(passwords.count == 1)
            let password = try #require(passwords.first)
            #expect(password.count == 20)

            let (id, account) = try #require(fake.accounts.first)
            #expect(fake.accounts.count == 1)
            #expect(account.username == "admin")
            #expect(account.email == "admin@localhost")
            #expect(account.kind == .staff)
            #expect(account.roles == ["admin"])
            #expect(account.password == password)
            #expect(fake.calls(to: "CreateAccount").map(\.caller) == ["service:backoffice-users"])
            #expect(!first.standardError.contains(password))

            // The administrator is an active staff account of the users service.
            try await TestServer.withClient(first.address) { client in
                try await UsersFixture.waitUntil("the administrator is active") {
                    var request = Users.GetUserRequest()
                    request.id = id
                    let options = CallOptions.forwarding(
                        UsersFixture.admin, method: Users.UsersService.getUser, signer: UsersFixture.signer)
                    let user = try? await Users.UsersClient(channel: client).getUser(request, options: options)
                    return user?.status == .active && user?.kind == .staff
                }
            }
            first.stop()
            #expect(await first.waitForExit() != nil)

            let second = try await UsersFixture.startUsers(security: address, dataDirectory: directory)
            defer { second.stop() }
            // The decision is taken before LISTENING; give a wrong bootstrap a moment to show anyway.
            try await TestServer.withClient(second.address) { client in
                _ = try await Health.HealthClient(channel: client).check(Health.CheckRequest())
            }
            try await Task.sleep(for: .milliseconds(300))
            #expect(Self.passwordLines(second.standardOutput).isEmpty)
            #expect(fake.calls(to: "CreateAccount").count == 1)
        }
    }

    @Test func aConfiguredPasswordIsUsedAndNeverPrinted() async throws {
        let fake = FakeAccounts()
        let directory = UsersFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await UsersFixture.withFakeSecurity(fake) { address in
            let process = try await UsersFixture.startUsers(
                security: address, dataDirectory: directory,
                environment: [AdminBootstrap.passwordVariable: "chosen admin secret 42"])
            defer { process.stop() }
            try await UsersFixture.waitUntil("the administrator exists") { !fake.accounts.isEmpty }
            #expect(fake.accounts.values.first?.password == "chosen admin secret 42")
            try await Task.sleep(for: .milliseconds(100))
            #expect(!process.standardOutput.contains("ADMIN PASSWORD"))
            #expect(!process.standardError.contains("chosen admin secret 42"))
        }
    }

    @Test func securityNotUpYetIsRetriedWithoutHoldingUpTheServer() async throws {
        let fake = FakeAccounts()
        fake.failNext("CreateAccount", .before(RPCError(.unavailable, "still starting")))
        let directory = UsersFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await UsersFixture.withFakeSecurity(fake) { address in
            let process = try await UsersFixture.startUsers(security: address, dataDirectory: directory)
            defer { process.stop() }
            try await UsersFixture.waitUntil("the password is printed") { !Self.passwordLines(process.standardOutput).isEmpty }
            #expect(fake.calls(to: "CreateAccount").count == 2)
            #expect(Self.passwordLines(process.standardOutput).count == 1)
            #expect(process.standardError.contains("cannot create the administrator yet"))
        }
    }

    @Test func aCredentialLeftByAnInterruptedAttemptIsReplaced() async throws {
        // Security creates the account but the answer is lost: the retry meets ALREADY_EXISTS.
        let fake = FakeAccounts()
        fake.failNext("CreateAccount", .after(RPCError(.unavailable, "connection lost")))
        let directory = UsersFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await UsersFixture.withFakeSecurity(fake) { address in
            let process = try await UsersFixture.startUsers(security: address, dataDirectory: directory)
            defer { process.stop() }
            try await UsersFixture.waitUntil("the password is printed") { !Self.passwordLines(process.standardOutput).isEmpty }
            let passwords = Self.passwordLines(process.standardOutput)
            #expect(passwords.count == 1)
            #expect(fake.calls(to: "CreateAccount").count == 3)
            #expect(fake.calls(to: "DeleteAccount").count == 1)
            #expect(fake.accounts.count == 1)
            #expect(fake.accounts.values.first?.password == passwords.first)
        }
    }

    @Test func aSecurityServiceWithAnotherKeyIsReportedAndNotRetriedForever() async throws {
        let fake = FakeAccounts()
        let directory = UsersFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await UsersFixture.withFakeSecurity(fake) { address in
            let process = try await UsersFixture.startUsers(
                security: address, dataDirectory: directory, internalKey: SecretKey.random())
            defer { process.stop() }
            try await UsersFixture.waitUntil("the refusal is logged") {
                process.standardError.contains("the security service refused to create the administrator")
            }
            #expect(!process.standardError.contains("cannot create the administrator yet"))
            #expect(Self.passwordLines(process.standardOutput).isEmpty)
            #expect(fake.accounts.isEmpty)
        }
    }

    @Test func anAcknowledgedRegistrationSurvivesSigkill() async throws {
        let fake = FakeAccounts()
        let directory = UsersFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await UsersFixture.withFakeSecurity(fake) { address in
            let first = try await UsersFixture.startUsers(security: address, dataDirectory: directory)
            defer { first.stop() }
            let registered = try await TestServer.withClient(first.address) { client in
                var request = Users.RegisterCustomerRequest()
                request.username = "uma"
                request.email = "uma@example.com"
                request.password = "correct horse battery"
                let options = CallOptions.forwarding(
                    .anonymous, method: Users.UsersService.registerCustomer, signer: UsersFixture.signer)
                return try await Users.UsersClient(channel: client).registerCustomer(request, options: options)
            }
            try await UsersFixture.waitUntil("the bootstrap is done") { !Self.passwordLines(first.standardOutput).isEmpty }
            first.signal(SIGKILL)
            #expect(await first.waitForExit() != nil)

            let second = try await UsersFixture.startUsers(security: address, dataDirectory: directory)
            defer { second.stop() }
            try await TestServer.withClient(second.address) { client in
                var request = Users.GetUserRequest()
                request.id = registered.id
                let options = CallOptions.forwarding(
                    UsersFixture.customer(id: registered.id), method: Users.UsersService.getUser, signer: UsersFixture.signer)
                let user = try await Users.UsersClient(channel: client).getUser(request, options: options)
                #expect(user == registered)
            }
            #expect(Self.passwordLines(second.standardOutput).isEmpty)
        }
    }

    @Test func helpDocumentsTheSecurityAddressAndTheAdminPassword() async throws {
        let result = try await ServiceProcess.runToCompletion("backoffice-users", arguments: ["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("--security"))
        #expect(result.stdout.contains("BACKOFFICE_USERS_SECURITY"))
        #expect(result.stdout.contains("BACKOFFICE_ADMIN_PASSWORD"))
    }
}
