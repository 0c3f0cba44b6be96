import AccessControl
import Crypto
import BackofficeAPI
import Foundation
import RPC
import Testing
import TestSupport

@testable import SecurityService

/// Login, lockout, throttling and session expiry on a `SecurityCore` driven by a manual clock.
@Suite(.timeLimit(.minutes(1)))
struct LoginAndSessionTests {
    @Test func loginByUsernameOrEmailIgnoringCaseGivesAWorkingToken() async throws {
        let fixture = try await SecurityCoreFixture()
        try await fixture.createAccount("u_1", username: "Carol", roles: ["editor"])
        let byName = try await fixture.login("carol")
        let byEmail = try await fixture.login("CAROL@Example.com")
        #expect(byName.token != byEmail.token)
        #expect(byName.token.count == 47)
        let principal = try await fixture.authenticate(byEmail.token)
        #expect(principal.subjectId == "u_1")
        #expect(principal.roles == ["editor"])
        #expect(principal.permissions == ["config.read", "content.publish", "content.read", "content.write"])
        #expect(principal.sessionId == byEmail.sessionId)
        #expect(try await fixture.count("sessions") == 2)
    }

    @Test func wrongPasswordAndUnknownAccountGetTheSameAnswer() async throws {
        let fixture = try await SecurityCoreFixture()
        try await fixture.createAccount("u_1", username: "carol")
        let wrong = await rpcError { _ = try await fixture.login("carol", "not the right password") }
        let unknown = await rpcError { _ = try await fixture.login("mallory", "not the right password") }
        #expect(wrong?.code == .unauthenticated)
        #expect(wrong?.message == "invalid username or password")
        #expect(unknown?.code == wrong?.code)
        #expect(unknown?.message == wrong?.message)
        #expect(try await fixture.count("sessions") == 0)
        #expect(try await fixture.eventKinds() == ["login_failed", "login_failed"])
        #expect(try await fixture.count("security_events", where: "user_id = 'u_1' AND login = 'carol'") == 1)
        // The unknown account cost a (dummy) verification too.
        #expect(fixture.core.hashing.statistics.completed >= 3)
    }

    @Test func fiveFailuresLockTheAccountForFifteenMinutes() async throws {
        let fixture = try await SecurityCoreFixture()
        try await fixture.createAccount("u_1", username: "carol")
        for _ in 0..<5 { _ = await rpcError { _ = try await fixture.login("carol", "wrong password 123") } }
        let locked = await rpcError { _ = try await fixture.login("carol") }
        #expect(locked?.code == .unauthenticated)
        #expect(locked?.message == SecurityCore.lockedLoginMessage)
        #expect(locked?.metadata["retry-after-ms"] == "900000")
        #expect(try await fixture.count("sessions") == 0)
        #expect(try await fixture.eventKinds().suffix(3) == ["login_failed", "account_locked", "login_refused_locked"])

        fixture.clock.advance(by: 15 * 60 - 1)
        #expect(await rpcError { _ = try await fixture.login("carol") }?.message == SecurityCore.lockedLoginMessage)
        fixture.clock.advance(by: 1)
        let session = try await fixture.login("carol")
        #expect(!session.token.isEmpty)
    }

    @Test func unknownNamesLockLikeAccountsSoLockingRevealsNothing() async throws {
        let fixture = try await SecurityCoreFixture()
        for _ in 0..<5 { _ = await rpcError { _ = try await fixture.login("ghost", "wrong password 123") } }
        let locked = await rpcError { _ = try await fixture.login("ghost", "wrong password 123") }
        #expect(locked?.message == SecurityCore.lockedLoginMessage)
    }

    @Test func unknownNamesStayLockedAcrossARestartAsAccountsDo() async throws {
        let fixture = try await SecurityCoreFixture()
        try await fixture.createAccount("u_1", username: "carol")
        for name in ["carol", "Ghost"] {
            for _ in 0..<5 { _ = await rpcError { _ = try await fixture.login(name, "wrong password 123") } }
        }
        let restarted = try await fixture.restarted()
        defer { restarted.hashing.shutdown() }
        fixture.clock.advance(by: 60)
        var answers: [RPCError?] = []
        for name in ["carol", "ghost"] {
            answers.append(await rpcError { _ = try await fixture.login(name, on: restarted) })
        }
        #expect(answers.map { $0?.message } == [SecurityCore.lockedLoginMessage, SecurityCore.lockedLoginMessage])
        #expect(answers.map { $0?.metadata["retry-after-ms"] } == ["840000", "840000"])
        #expect(try await fixture.count("unknown_login_lockouts", where: "login_key = 'ghost'") == 1)
    }

    @Test func anUnknownNameWhoseLockRanOutStartsAgainAndItsRowGoes() async throws {
        let fixture = try await SecurityCoreFixture()
        for _ in 0..<5 { _ = await rpcError { _ = try await fixture.login("ghost", "wrong password 123") } }
        _ = await rpcError { _ = try await fixture.login("phantom", "wrong password 123") }
        #expect(try await fixture.count("unknown_login_lockouts") == 2)

        fixture.clock.advance(by: 15 * 60)
        // The next failure, of any name, drops the rows whose lock ran out; a name a few failures
        // short of a lock keeps its count, as an account does.
        _ = await rpcError { _ = try await fixture.login("phantom", "wrong password 123") }
        #expect(try await fixture.count("unknown_login_lockouts", where: "login_key = 'ghost'") == 0)
        #expect(try await fixture.count("unknown_login_lockouts", where: "login_key = 'phantom' AND failed_logins = 2") == 1)
        for _ in 0..<4 {
            let refused = await rpcError { _ = try await fixture.login("ghost", "wrong password 123") }
            #expect(refused?.message == SecurityCore.invalidLoginMessage)
        }
        let locked = await rpcError { _ = try await fixture.login("ghost", "wrong password 123") }
        #expect(locked?.message == SecurityCore.invalidLoginMessage)
        let refusedWhileLocked = await rpcError { _ = try await fixture.login("ghost", "wrong password 123") }
        #expect(refusedWhileLocked?.message == SecurityCore.lockedLoginMessage)
    }

    @Test func anAdministratorCanUnlock() async throws {
        let fixture = try await SecurityCoreFixture()
        let admin = try await fixture.admin()
        try await fixture.createAccount("u_1", username: "carol")
        for _ in 0..<5 { _ = await rpcError { _ = try await fixture.login("carol", "wrong password 123") } }
        var unlock = Security.UnlockAccountRequest()
        unlock.userId = "u_1"
        let response = try await fixture.core.unlockAccount(unlock, caller: admin)
        #expect(response.wasLocked)
        _ = try await fixture.login("carol")
        #expect(try await fixture.eventKinds().contains("account_unlocked"))
    }

    @Test func failedLoginsAreThrottledPerClientAddress() async throws {
        let fixture = try await SecurityCoreFixture(throttle: LoginThrottle.Policy(maximumFailures: 3, window: 60))
        try await fixture.createAccount("u_1", username: "carol")
        for name in ["a1", "a2", "a3"] {
            _ = await rpcError { _ = try await fixture.login(name, "wrong password 123", from: "192.0.2.1:1000") }
        }
        // Another port of the same host is the same client; even a right password is refused.
        let throttled = await rpcError { _ = try await fixture.login("carol", from: "192.0.2.1:2000") }
        #expect(throttled?.code == .resourceExhausted)
        #expect(throttled?.metadata["retry-after-ms"] == "20000")
        #expect(try await fixture.eventKinds().last == "login_throttled")
        // Another address is not affected.
        _ = try await fixture.login("carol", from: "192.0.2.2:1000")
        fixture.clock.advance(by: 20)
        _ = try await fixture.login("carol", from: "192.0.2.1:3000")
    }

    @Test func sessionsExpireAfterTheIdleTimeoutUnlessUsed() async throws {
        let fixture = try await SecurityCoreFixture()
        try await fixture.createAccount("u_1", username: "carol")
        let session = try await fixture.login("carol")
        fixture.clock.advance(by: 29 * 60)
        _ = try await fixture.authenticate(session.token)  // touches: idle expiry moves on
        fixture.clock.advance(by: 29 * 60)
        _ = try await fixture.authenticate(session.token)
        fixture.clock.advance(by: 30 * 60)
        let expired = await rpcError { _ = try await fixture.authenticate(session.token) }
        #expect(expired?.code == .unauthenticated)
        #expect(expired?.message == SecurityCore.invalidCredentialMessage)
    }

    @Test func sessionsExpireAfterTheAbsoluteLifetimeEvenWhenUsed() async throws {
        let fixture = try await SecurityCoreFixture()
        try await fixture.createAccount("u_1", username: "carol")
        let session = try await fixture.login("carol")
        #expect(session.expiresAtUnixMs == fixture.clock.date.addingTimeInterval(12 * 3600).unixMs)
        for _ in 0..<23 {
            fixture.clock.advance(by: 29 * 60)
            _ = try await fixture.authenticate(session.token)
        }
        fixture.clock.advance(by: 29 * 60)  // 24 × 29 min = 11.6 h: still valid
        let principal = try await fixture.authenticate(session.token)
        #expect(principal.expiresAtUnixMs == session.expiresAtUnixMs)
        fixture.clock.advance(by: 25 * 60)
        let expired = await rpcError { _ = try await fixture.authenticate(session.token) }
        #expect(expired?.code == .unauthenticated)
    }

    @Test func forgedRevokedAndMalformedTokensAreRefusedAlike() async throws {
        let fixture = try await SecurityCoreFixture()
        try await fixture.createAccount("u_1", username: "carol")
        let session = try await fixture.login("carol")
        let principal = try await fixture.authenticate(session.token)
        _ = try await fixture.core.logout(caller: principal)
        var forged = session.token
        forged.removeLast()
        forged.append(session.token.hasSuffix("A") ? "B" : "A")
        for credential in [session.token, forged, "bos_short", "", "Bearer x", "boa_0123456789abcdef_" + String(repeating: "x", count: 43)]
        {
            let error = await rpcError { _ = try await fixture.authenticate(credential) }
            #expect(error?.code == .unauthenticated)
            #expect(error?.message == SecurityCore.invalidCredentialMessage)
        }
    }

    @Test func listingAndRevokingOwnSessions() async throws {
        let fixture = try await SecurityCoreFixture()
        try await fixture.createAccount("u_1", username: "carol")
        let first = try await fixture.login("carol")
        let second = try await fixture.login("carol")
        let caller = try await fixture.authenticate(second.token)
        let listed = try await fixture.core.mySessions(caller: caller)
        #expect(listed.sessions.map(\.sessionId).sorted() == [first.sessionId, second.sessionId].sorted())
        #expect(listed.sessions.first { $0.current }?.sessionId == second.sessionId)
        _ = try await fixture.core.revokeMySession(first.sessionId, caller: caller)
        #expect(await rpcError { _ = try await fixture.authenticate(first.token) }?.code == .unauthenticated)
        let missing = await rpcError { _ = try await fixture.core.revokeMySession(first.sessionId, caller: caller) }
        #expect(missing?.code == .notFound)
        let anonymous = await rpcError { _ = try await fixture.core.mySessions(caller: nil) }
        #expect(anonymous?.code == .unauthenticated)
    }

    @Test func overLongLoginFieldsAreInvalidArguments() async throws {
        let fixture = try await SecurityCoreFixture()
        let error = await rpcError {
            _ = try await fixture.login(String(repeating: "a", count: 300), String(repeating: "p", count: 129))
        }
        #expect(error?.code == .invalidArgument)
        #expect(Set(error?.fieldViolations.map(\.field) ?? []) == ["login", "password"])
        #expect(try await fixture.count("security_events") == 0)
    }
}

/// A stored hash made with other Argon2id parameters is replaced at the next successful login.
@Suite(.timeLimit(.minutes(1)))
struct RehashTests {
    @Test func anOutdatedHashIsReplacedAtLogin() async throws {
        let fixture = try await SecurityCoreFixture()
        try await fixture.createAccount("u_1", username: "carol")
        let older = try PasswordHasher(parameters: .init(opsLimit: 2, memoryLimitBytes: 32 * 1024)).hash(SecurityCoreFixture.password)
        try await fixture.core.database.write { db in
            try db.execute("UPDATE accounts SET password_hash = ? WHERE user_id = 'u_1'", [.text(older)])
        }
        _ = try await fixture.login("carol")
        let stored = try await fixture.core.database.read { db in
            try db.queryOne("SELECT password_hash FROM accounts WHERE user_id = 'u_1'")?.string("password_hash")
        }
        #expect(stored != older)
        #expect(stored?.hasPrefix("$argon2id$") == true)
        #expect(fixture.core.hashing.needsRehash(stored ?? "") == false)
        _ = try await fixture.login("carol")
    }
}
