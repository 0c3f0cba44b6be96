import Foundation
import RPC
import Storage
import Testing
import TestSupport
import UsersService

/// The accounts table on its own: uniqueness ignoring case, pending rows, versions, erasure,
/// listing order and the bootstrap record.
@Suite(.timeLimit(.minutes(1)))
struct UserStoreTests {
    /// A store in a fresh temporary directory with a clock the test moves.
    static func withStore(_ body: (UserStore, Locked<Int64>) async throws -> Void) async throws {
        let directory = UsersFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let now = Locked<Int64>(1_000)
        let store = try await UserStore.open(path: directory + "/users.sqlite", clock: { now.value })
        try await body(store, now)
    }

    static func record(_ username: String, email: String? = nil, kind: UserKind = .customer) -> UserRecord {
        UserRecord(
            id: UserRecord.newID(), kind: kind,
            profile: Profile(username: username, email: email ?? "\(username)@example.com", displayName: username.uppercased()),
            status: .pending, createdAtUnixMs: 0, updatedAtUnixMs: 0)
    }

    @Test func pendingRowsAreInvisibleUntilActivated() async throws {
        try await Self.withStore { store, _ in
            let pending = try await store.insertPending(Self.record("ann"))
            #expect(try await store.user(id: pending.id) == nil)
            #expect(try await store.list(UserFilter(), after: nil, limit: 10).isEmpty)
            let active = try await store.activate(id: pending.id)
            #expect(active.status == .active)
            #expect(try await store.user(id: pending.id) == active)
        }
    }

    @Test func emailsAreUniqueIgnoringCaseAndUsernamesAreUnique() async throws {
        try await Self.withStore { store, _ in
            try await store.insertPending(Self.record("bob", email: "Bob@Example.com"))
            var error: RPCError?
            do { try await store.insertPending(Self.record("bobby", email: "bob@EXAMPLE.com")) } catch let caught as RPCError {
                error = caught
            }
            #expect(error?.code == .alreadyExists)
            #expect(error?.fieldViolations.map(\.field) == ["email"])
            do { try await store.insertPending(Self.record("bob", email: "BOB@example.com")) } catch let caught as RPCError {
                error = caught
            }
            #expect(error?.fieldViolations.map(\.field) == ["username", "email"])
            #expect(try await store.stalePendingIDs(createdBefore: 10_000).count == 1)
        }
    }

    @Test func staleVersionsAreAbortedAndErasedAccountsCannotChange() async throws {
        try await Self.withStore { store, now in
            let id = try await store.insertPending(Self.record("cat")).id
            _ = try await store.activate(id: id)
            now.withLock { $0 = 2_000 }
            var profile = try await store.existingUser(id: id).profile
            profile.phone = "123"
            let saved = try await store.saveProfile(profile, id: id, expectedVersion: 1)
            #expect(saved.version == 2)
            #expect(saved.updatedAtUnixMs == 2_000)
            #expect(saved.createdAtUnixMs == 1_000)
            await #expect(throws: RPCError.self) { try await store.saveProfile(profile, id: id, expectedVersion: 1) }

            let erased = try await store.erase(id: id)
            #expect(erased.status == .erased)
            #expect(erased.profile == UserRecord.erasedProfile(id: id))
            #expect(ProfileValidation.violations(of: erased.profile, fields: [.username, .email]).isEmpty)
            do {
                _ = try await store.setStatus(.active, id: id)
                Issue.record("an erased account was reactivated")
            } catch let error as RPCError {
                #expect(error.code == .failedPrecondition)
            }
            // The erased email is free again.
            try await store.insertPending(Self.record("cat2", email: "cat@example.com"))
        }
    }

    @Test func listingIsOrderedByCreationAndFilters() async throws {
        try await Self.withStore { store, now in
            var ids: [String] = []
            for (index, name) in ["dan", "eve_x", "fay"].enumerated() {
                now.withLock { $0 = Int64(1_000 + index) }
                let id = try await store.insertPending(Self.record(name, kind: index == 1 ? .staff : .customer)).id
                _ = try await store.activate(id: id)
                ids.append(id)
            }
            #expect(try await store.list(UserFilter(), after: nil, limit: 10).map(\.id) == ids)
            #expect(try await store.list(UserFilter(kind: .staff), after: nil, limit: 10).map(\.id) == [ids[1]])
            #expect(try await store.list(UserFilter(text: "FAY"), after: nil, limit: 10).map(\.id) == [ids[2]])
            // `_` is a literal character in the text filter, not a wildcard.
            #expect(try await store.list(UserFilter(text: "e_x"), after: nil, limit: 10).map(\.id) == [ids[1]])
            #expect(try await store.list(UserFilter(text: "d_n"), after: nil, limit: 10).isEmpty)
            #expect(
                try await store.list(UserFilter(ids: [ids[0], ids[2], "u_other"]), after: nil, limit: 10).map(\.id) == [ids[0], ids[2]])
            let after = PageToken(createdAtUnixMs: 1_000, id: ids[0], filterFingerprint: 0)
            #expect(try await store.list(UserFilter(), after: after, limit: 1).map(\.id) == [ids[1]])
        }
    }

    @Test func theBootstrapIsDecidedOnceAndSkippedForAPopulatedDatabase() async throws {
        try await Self.withStore { store, _ in
            let admin = Profile(username: "admin", email: "admin@localhost")
            let id = try #require(try await store.prepareBootstrap(administrator: admin))
            // A restart before completion resumes with the same id.
            #expect(try await store.prepareBootstrap(administrator: admin) == id)
            #expect(try await store.stalePendingIDs(createdBefore: .max).isEmpty)
            try await store.completeBootstrap(id: id)
            #expect(try await store.prepareBootstrap(administrator: admin) == nil)
            #expect(try await store.existingUser(id: id).status == .active)
            #expect(try await store.bootstrapState() == "done")
        }
        try await Self.withStore { store, _ in
            _ = try await store.activate(id: try await store.insertPending(Self.record("gus")).id)
            #expect(try await store.prepareBootstrap(administrator: Profile(username: "admin", email: "a@b")) == nil)
            #expect(try await store.bootstrapState() == "done")
        }
    }
}
