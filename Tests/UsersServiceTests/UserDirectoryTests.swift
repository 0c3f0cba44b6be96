import Foundation
import RPC
import ServiceRuntime
import Testing
import TestSupport
import UsersService

/// The order of writes between the users database and security, with the fake security service
/// in-process and an unsigned channel: rollbacks and repairs.
@Suite(.timeLimit(.minutes(1)))
struct UserDirectoryTests {
    static func withDirectory(_ body: (UserDirectory, FakeAccounts, Locked<Int64>) async throws -> Void) async throws {
        let directory = UsersFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fake = FakeAccounts()
        let now = Locked<Int64>(1_000_000)
        let store = try await UserStore.open(path: directory + "/users.sqlite", clock: { now.value })
        try await TestServer.with(services: [fake]) { _, address in
            try await TestServer.withClient(address) { client in
                let users = UserDirectory(
                    store: store, security: SecurityAccounts(channel: client),
                    logger: Logger(process: "users-test", minimumLevel: .error))
                try await body(users, fake, now)
            }
        }
    }

    static let profile = Profile(username: "hal", email: "hal@example.com", displayName: "Hal")

    @Test func anUnreachableSecurityLeavesAPendingRowThatTheSweeperRollsBack() async throws {
        try await Self.withDirectory { users, fake, now in
            // The credential is written, the answer lost, and the compensating delete fails too.
            fake.failNext("CreateAccount", .after(RPCError(.unavailable, "lost")))
            fake.failNext("DeleteAccount", .before(RPCError(.unavailable, "down")))
            await #expect(throws: RPCError.self) {
                try await users.create(kind: .customer, profile: Self.profile, password: "long enough password", roles: ["customer"])
            }
            #expect(fake.accounts.count == 1)
            #expect(try await users.store.list(UserFilter(), after: nil, limit: 10).isEmpty)
            // Too recent to sweep: a creation might still be under way.
            #expect(try await users.sweepPendingRegistrations(createdBefore: now.value - UserDirectory.pendingGracePeriodMs) == 0)
            now.withLock { $0 += UserDirectory.pendingGracePeriodMs + 1 }
            #expect(try await users.sweepPendingRegistrations(createdBefore: now.value - UserDirectory.pendingGracePeriodMs) == 1)
            #expect(fake.accounts.isEmpty)
            // The username is free again.
            let user = try await users.create(kind: .customer, profile: Self.profile, password: "long enough password", roles: [])
            #expect(user.status == .active)
        }
    }

    @Test func aRefusedSecurityUpdateChangesNothingLocally() async throws {
        try await Self.withDirectory { users, fake, _ in
            let user = try await users.create(kind: .customer, profile: Self.profile, password: "long enough password", roles: [])
            fake.failNext("UpdateAccount", .before(RPCError(.alreadyExists, "the email is already taken")))
            var change = Self.profile
            change.email = "other@example.com"
            await #expect(throws: RPCError.self) {
                try await users.update(id: user.id, fields: [.email], change: change, expectedVersion: 0)
            }
            #expect(try await users.store.existingUser(id: user.id) == user)
            // A change that security does not mirror does not call it.
            let calls = fake.calls(to: "UpdateAccount").count
            change.phone = "555"
            let updated = try await users.update(id: user.id, fields: [.phone], change: change, expectedVersion: user.version)
            #expect(updated.profile.phone == "555")
            #expect(updated.profile.email == "hal@example.com")
            #expect(fake.calls(to: "UpdateAccount").count == calls)
        }
    }

    @Test func aFailedReactivationInSecurityLeavesTheAccountDeactivated() async throws {
        try await Self.withDirectory { users, fake, _ in
            let user = try await users.create(kind: .customer, profile: Self.profile, password: "long enough password", roles: [])
            _ = try await users.deactivate(id: user.id)
            fake.failNext("SetAccountStatus", .before(RPCError(.unavailable, "down")))
            await #expect(throws: RPCError.self) { try await users.reactivate(id: user.id) }
            #expect(try await users.store.existingUser(id: user.id).status == .deactivated)
            #expect(fake.accounts[user.id]?.active == false)
            #expect(try await users.reactivate(id: user.id).status == .active)
            #expect(fake.accounts[user.id]?.active == true)
        }
    }

    @Test func anInterruptedErasureCompletesWhenRepeated() async throws {
        try await Self.withDirectory { users, fake, _ in
            let user = try await users.create(kind: .customer, profile: Self.profile, password: "long enough password", roles: [])
            fake.failNext("DeleteAccount", .after(RPCError(.unavailable, "lost")))
            await #expect(throws: RPCError.self) { try await users.erase(id: user.id) }
            #expect(fake.accounts[user.id] == nil)
            #expect(try await users.store.existingUser(id: user.id).status == .active)
            // Security no longer knows the account: that counts as deleted.
            let erased = try await users.erase(id: user.id)
            #expect(erased.status == .erased)
        }
    }

    @Test func badListRequestsNameTheirFields() async throws {
        try await Self.withDirectory { users, _, _ in
            do {
                _ = try await users.list(filter: UserFilter(), role: "", pageSize: 500, pageToken: "nope")
                Issue.record("a bad list request succeeded")
            } catch let error as RPCError {
                #expect(error.code == .invalidArgument)
                #expect(error.fieldViolations.map(\.field) == ["page_size", "page_token"])
            }
        }
    }
}

/// Operations on one key run one at a time; on different keys, side by side.
@Suite(.timeLimit(.minutes(1)))
struct PerKeyLockTests {
    @Test func operationsOnOneKeyDoNotInterleave() async throws {
        let lock = PerKeyLock()
        let log = Locked<[String]>([])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<5 {
                group.addTask {
                    try await lock.withLock("u_1") {
                        log.withLock { $0.append("start") }
                        try await Task.sleep(for: .milliseconds(5))
                        log.withLock { $0.append("end \(index)") }
                    }
                }
            }
            try await group.waitForAll()
        }
        let entries = log.value
        #expect(entries.count == 10)
        for pair in stride(from: 0, to: entries.count, by: 2) {
            #expect(entries[pair] == "start")
            #expect(entries[pair + 1].hasPrefix("end"))
        }
    }

    @Test func aFailingOperationReleasesItsKey() async throws {
        let lock = PerKeyLock()
        await #expect(throws: RPCError.self) {
            try await lock.withLock("u_1") { throw RPCError(.aborted, "no") }
        }
        let value = try await lock.withLock("u_1") { 42 }
        #expect(value == 42)
    }
}
