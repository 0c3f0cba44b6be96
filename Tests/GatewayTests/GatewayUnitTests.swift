import AccessControl
import BackofficeAPI
import Crypto
import Foundation
@testable import Gateway
import RPC
import ServiceRuntime
import Synchronization
import Testing
import TestSupport

/// A clock tests move by hand.
final class ManualClock: Sendable {
    private let millis = Atomic<Int64>(1_000_000)

    func advance(byMillis delta: Int64) { millis.add(delta, ordering: .relaxed) }

    var clock: GatewayClock {
        GatewayClock(monotonicMillis: { self.millis.load(ordering: .relaxed) }, unixMillis: { self.millis.load(ordering: .relaxed) })
    }
}

@Suite(.timeLimit(.minutes(1)))
struct RouteTableTests {
    @Test func parsesEntriesAndPicksTheLongestMatchingName() throws {
        let table = try RouteTable(
            parsing: """
                backoffice.security = 127.0.0.1:7200, 127.0.0.1:7201   # two instances
                backoffice.echo.Echo=127.0.0.1:7100;backoffice.audit=127.0.0.1:7200
                """)
        #expect(table.routes["backoffice.security"]?.map(\.port) == [7200, 7201])
        #expect(table.routeName(for: "backoffice.security.Accounts") == "backoffice.security")
        #expect(table.routeName(for: "backoffice.echo.Echo") == "backoffice.echo.Echo")
        #expect(table.routeName(for: "backoffice.orders.Orders") == nil)
    }

    @Test(arguments: ["backoffice.echo", "backoffice.echo=", "backoffice.echo=nowhere", "=127.0.0.1:1", "a/b=127.0.0.1:1"])
    func refusesBadEntries(text: String) {
        #expect(throws: RouteTableError.self) { try RouteTable(parsing: text) }
    }

    @Test func instancesAreTakenRoundRobinPreferringHealthyOnes() {
        let instances = (1...3).map { ServiceInstance(address: SocketAddress(host: "127.0.0.1", port: $0), configuration: .init()) }
        let group = InstanceGroup(name: "x", instances: instances)
        let picked = (0..<6).compactMap { _ in group.pick()?.address.port }
        #expect(Set(picked) == [1, 2, 3])
        #expect(picked.filter { $0 == 1 }.count == 2)
        instances[1].setHealthy(false)
        #expect((0..<6).compactMap { _ in group.pick()?.address.port }.allSatisfy { $0 != 2 })
        #expect(group.pick(excluding: instances[0])?.address.port == 3)
        // None healthy: one is tried anyway (a failed check may have been a slow answer), still
        // never the excluded one; with nothing else left, none.
        instances[0].setHealthy(false)
        instances[2].setHealthy(false)
        #expect(group.pick() != nil)
        #expect(group.pick(excluding: instances[0]).map { $0 !== instances[0] } == true)
        let single = InstanceGroup(name: "y", instances: [instances[0]])
        #expect(single.pick(excluding: instances[0]) == nil)
        #expect(single.pick() === instances[0])
    }
}

@Suite(.timeLimit(.minutes(1)))
struct AdmissionUnitTests {
    @Test func cachedPrincipalsExpireAfterAtMostOneSecond() {
        let time = ManualClock()
        let cache = CredentialCache(capacity: 10, clock: time.clock)
        cache.store(Caller(TestPrincipals.user), for: "a", cacheForMillis: 60_000)
        cache.store(Caller(TestPrincipals.user), for: "b", cacheForMillis: 200)
        cache.store(Caller(TestPrincipals.user), for: "c", cacheForMillis: 0)
        #expect(cache.caller(for: "a")?.principal.subjectId == "u_plain")
        #expect(cache.caller(for: "c") == nil)
        time.advance(byMillis: 300)
        #expect(cache.caller(for: "b") == nil)
        #expect(cache.caller(for: "a") != nil)
        time.advance(byMillis: 701)
        #expect(cache.caller(for: "a") == nil)
    }

    @Test func aCoarseClockShortensWhatIsCachedByItsResolution() {
        let time = ManualClock()
        let coarse = GatewayClock(monotonicMillis: time.clock.monotonicMillis, unixMillis: time.clock.unixMillis, resolutionMillis: 4)
        let cache = CredentialCache(capacity: 10, clock: coarse)
        cache.store(Caller(TestPrincipals.user), for: "a", cacheForMillis: 60_000)
        cache.store(Caller(TestPrincipals.user), for: "b", cacheForMillis: 3)
        #expect(cache.caller(for: "b") == nil)
        time.advance(byMillis: 995)
        #expect(cache.caller(for: "a") != nil)
        time.advance(byMillis: 1)
        #expect(cache.caller(for: "a") == nil)
    }

    @Test func recentCallersAreGoodUntilTheirEntryExpiresOrACredentialIsForgotten() {
        let recent = RecentCallers()
        let caller = Caller(TestPrincipals.user)
        recent.remember(caller, for: "Bearer a", expiresAtMillis: 1000, generation: 7)
        #expect(recent.caller(for: "Bearer a", now: 999, generation: 7) === caller)
        #expect(recent.caller(for: "Bearer b", now: 999, generation: 7) == nil)
        #expect(recent.caller(for: "Bearer a", now: 1000, generation: 7) == nil)
        recent.remember(caller, for: "Bearer a", expiresAtMillis: 1000, generation: 7)
        #expect(recent.caller(for: "Bearer a", now: 10, generation: 8) == nil)
        // Dropped, not just refused: the generation going back would not revive it.
        #expect(recent.caller(for: "Bearer a", now: 10, generation: 7) == nil)
    }

    @Test func recentCallersTellInterleavedCredentialsApart() {
        let recent = RecentCallers()
        let first = Caller(TestPrincipals.user)
        let second = Caller(TestPrincipals.user)
        recent.remember(first, for: "Bearer a", expiresAtMillis: 1000, generation: 0)
        recent.remember(second, for: "Bearer b", expiresAtMillis: 1000, generation: 0)
        for _ in 0..<3 {
            #expect(recent.caller(for: "Bearer a", now: 0, generation: 0) === first)
            #expect(recent.caller(for: "Bearer a", now: 0, generation: 0) === first)
            #expect(recent.caller(for: "Bearer b", now: 0, generation: 0) === second)
        }
        // The one found last expires like any other.
        #expect(recent.caller(for: "Bearer b", now: 1000, generation: 0) == nil)
        #expect(recent.caller(for: "Bearer a", now: 999, generation: 0) === first)
    }

    @Test func theLastClientAddressKeepsItsHostUntilAnotherComes() {
        let last = LastHost()
        for _ in 0..<2 {
            #expect(last.host(of: "127.0.0.1:4000") == "127.0.0.1")
            #expect(last.host(of: "127.0.0.1:4000") == "127.0.0.1")
            #expect(last.host(of: "[::1]:4001") == "[::1]")
            #expect(last.host(of: "10.0.0.7:80") == "10.0.0.7")
        }
    }

    @Test func recentCallersAreBounded() {
        let recent = RecentCallers()
        for index in 0..<(RecentCallers.capacity * 3) {
            recent.remember(Caller(TestPrincipals.user), for: "Bearer \(index)", expiresAtMillis: 1000, generation: 0)
        }
        #expect(recent.caller(for: "Bearer \(RecentCallers.capacity * 3 - 1)", now: 0, generation: 0) != nil)
        let kept = (0..<(RecentCallers.capacity * 3)).filter { recent.caller(for: "Bearer \($0)", now: 0, generation: 0) != nil }
        #expect(kept.count <= RecentCallers.capacity)
    }

    @Test func forgettingACredentialChangesTheCachesGeneration() {
        let cache = CredentialCache(capacity: 10, clock: ManualClock().clock)
        cache.store(Caller(TestPrincipals.user), for: "a", cacheForMillis: 1000)
        let before = cache.generation
        _ = cache.caller(for: "a")
        #expect(cache.generation == before)
        cache.forget("a")
        #expect(cache.generation != before)
    }

    @Test func aForgottenCredentialIsLookedUpAgain() {
        let cache = CredentialCache(capacity: 10, clock: ManualClock().clock)
        cache.store(Caller(TestPrincipals.user), for: "ending", cacheForMillis: 1000)
        cache.store(Caller(TestPrincipals.user), for: "staying", cacheForMillis: 1000)
        cache.forget("ending")
        #expect(cache.caller(for: "ending") == nil)
        #expect(cache.caller(for: "staying") != nil)
    }

    @Test func theCacheIsBounded() {
        let cache = CredentialCache(capacity: 3, clock: ManualClock().clock)
        for index in 0..<10 { cache.store(Caller(TestPrincipals.user), for: "k\(index)", cacheForMillis: 1000) }
        #expect(cache.count <= 3)
        #expect(cache.caller(for: "k9") != nil)
    }

    @Test func authenticatorCachesAndRefusesExpiredPrincipals() async throws {
        let time = ManualClock()
        let calls = Atomic<Int>(0)
        let authenticator = Authenticator(cache: CredentialCache(clock: time.clock), clock: time.clock) { credential in
            calls.add(1, ordering: .relaxed)
            guard credential != "bad" else { throw RPCError(.unauthenticated, "no") }
            var principal = Auth.Principal()
            principal.subjectId = credential
            principal.expiresAtUnixMs = credential == "old" ? 1 : 9_000_000
            var response = Security.AuthenticateResponse()
            response.principal = principal
            response.cacheForMs = 1000
            return response
        }
        #expect(try await authenticator.caller(for: "good").principal.subjectId == "good")
        #expect(try await authenticator.caller(for: "good").principal.subjectId == "good")
        #expect(calls.load(ordering: .relaxed) == 1)
        for credential in ["bad", "old"] {
            let error = await #expect(throws: RPCError.self) { try await authenticator.caller(for: credential) }
            #expect(error?.code == .unauthenticated)
        }
    }

    @Test func concurrentCallsWithOneCredentialShareOneLookupAndOneCaller() async throws {
        let calls = Atomic<Int>(0)
        let authenticator = Authenticator(cache: CredentialCache()) { credential in
            calls.add(1, ordering: .relaxed)
            try await Task.sleep(for: .milliseconds(300))
            var response = Security.AuthenticateResponse()
            response.principal = TestPrincipals.user
            response.cacheForMs = 0  // nothing cached: only the sharing can save lookups
            return response
        }
        let callers = try await withThrowingTaskGroup(of: Caller.self) { group in
            for _ in 0..<20 { group.addTask { try await authenticator.caller(for: "same") } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(calls.load(ordering: .relaxed) == 1)
        // One caller for all of them: its signatures and allowance are made once, not per call.
        #expect(callers.count == 20 && callers.allSatisfy { $0 === callers[0] })
        #expect(callers[0].principal.subjectId == "u_plain")
    }

    @Test func securityOutagesAreUnavailableNotUnauthenticated() async {
        let authenticator = Authenticator(cache: CredentialCache()) { _ in throw RPCError(.unavailable, "down") }
        let error = await #expect(throws: RPCError.self) { try await authenticator.caller(for: "x") }
        #expect(error?.code == .unavailable)
    }

    @Test func tokenBucketsRefuseBeyondTheBurstAndRefill() {
        let time = ManualClock()
        let limiter = RateLimiter(ratePerSecond: 10, burst: 5, clock: time.clock)
        for _ in 0..<5 { #expect(limiter.acquire("a") == nil) }
        let wait = limiter.acquire("a")
        #expect(wait == 100)
        #expect(limiter.acquire("b") == nil)
        time.advance(byMillis: 100)
        #expect(limiter.acquire("a") == nil)
        #expect(limiter.acquire("a") != nil)
    }

    @Test func rateLimiterForgetsKeysBeyondItsCapacity() {
        let time = ManualClock()
        let limiter = RateLimiter(ratePerSecond: 10, burst: 1, capacity: 100, clock: time.clock)
        for index in 0..<1000 { _ = limiter.acquire("k\(index)") }
        #expect(limiter.trackedKeys <= 100)
    }

    @Test func callersOfOnePrincipalShareOneAllowance() {
        let time = ManualClock()
        var limits = GatewayLimits()
        limits.principalRate = 10
        limits.principalBurst = 3
        limits.maxCallsPerPrincipal = 2
        let table = PrincipalAllowances(limits: limits, clock: time.clock)
        // Two credentials of one member of staff: two callers, one allowance.
        let first = Caller(TestPrincipals.make("u-1"))
        let second = Caller(TestPrincipals.make("u-1"))
        let allowance = first.allowance(in: table)
        #expect(allowance != nil && allowance === second.allowance(in: table))
        #expect(Caller(.anonymous).allowance(in: table) == nil)
        #expect(allowance?.enter(now: time.clock.monotonicMillis()) == nil)
        #expect(second.allowance(in: table)?.enter(now: time.clock.monotonicMillis()) == nil)
        // Two in flight: the third is refused for concurrency (its token is spent), then for the rate.
        #expect(allowance?.enter(now: time.clock.monotonicMillis()) == .concurrency)
        allowance?.leave()
        #expect(allowance?.callsInFlight == 1)
        #expect(allowance?.enter(now: time.clock.monotonicMillis()) == .rate(retryAfterMillis: 100))
        time.advance(byMillis: 100)
        #expect(allowance?.enter(now: time.clock.monotonicMillis()) == nil)
        #expect(Caller(TestPrincipals.make("u-2")).allowance(in: table) !== allowance)
    }

    @Test func allowancesBeyondTheCapacityAreForgottenUnlessACallerHoldsThem() {
        let time = ManualClock()
        var limits = GatewayLimits()
        limits.principalRate = 10
        limits.principalBurst = 1
        let table = PrincipalAllowances(limits: limits, capacity: 10, clock: time.clock)
        let held = Caller(TestPrincipals.make("held"))
        let heldAllowance = held.allowance(in: table)
        #expect(heldAllowance?.enter(now: time.clock.monotonicMillis()) == nil)
        for index in 0..<1000 {
            // Each found once and let go: the table keeps no more than its capacity of these.
            _ = table.allowance(for: "p\(index)").enter(now: time.clock.monotonicMillis())
        }
        #expect(table.trackedKeys <= 11)
        // The held one stayed: its empty bucket still refuses, and a new caller of it shares it.
        #expect(Caller(TestPrincipals.make("held")).allowance(in: table) === heldAllowance)
        #expect(heldAllowance?.enter(now: time.clock.monotonicMillis()) != nil)
    }

    @Test func concurrencyLimiterCountsPerKey() {
        let limiter = ConcurrencyLimiter(limit: 2)
        #expect(limiter.enter("a") && limiter.enter("a"))
        #expect(!limiter.enter("a"))
        #expect(limiter.enter("b"))
        limiter.leave("a")
        #expect(limiter.enter("a"))
        #expect(limiter.count("a") == 2)
    }

    @Test(arguments: [
        ("Bearer bos_123", "bos_123"), ("bearer  bos_123", "bos_123"), ("ApiKey boa_9", "boa_9"),
    ])
    func credentialsAreReadFromTheAuthorizationMetadata(value: String, expected: String) throws {
        #expect(try Credential.from([Metadata.Keys.authorization: value]) == expected)
    }

    @Test(arguments: ["Basic abc", "Bearer", "bos_123", "Bearer "])
    func malformedAuthorizationIsUnauthenticated(value: String) {
        let error = #expect(throws: RPCError.self) { try Credential.from([Metadata.Keys.authorization: value]) }
        #expect(error?.code == .unauthenticated)
    }
}

@Suite(.timeLimit(.minutes(1)))
struct AuditUnitTests {
    @Test func targetIsTheIdFieldOrTheFirstStarIdField() {
        var setStatus = Security.SetAccountStatusRequest()
        setStatus.userId = "u_1"
        setStatus.status = .active
        let extractor = TargetExtractor(descriptor: Security.SetAccountStatusRequest.protobufDescriptor)
        #expect(extractor.target(in: setStatus.serializedBytes()) == "u_1")
        #expect(extractor.target(in: []) == "")
        #expect(extractor.target(in: [0x0A, 0x7F]) == "")  // truncated
        let echo = TargetExtractor(descriptor: Echo.EchoRequest.protobufDescriptor)
        #expect(echo.fieldNumbers.isEmpty)
        var listRoles = Security.ListAccountRolesRequest()
        listRoles.userIds = ["u_2"]
        // Repeated fields name no single target.
        #expect(
            TargetExtractor(descriptor: Security.ListAccountRolesRequest.protobufDescriptor).target(in: listRoles.serializedBytes()) == "")
    }

    @Test func wakeUpSignalWakesOnceAndLeavesNothingBehind() async {
        let signal = WakeUpSignal()
        signal.signal()
        let immediate = ContinuousClock.now
        await signal.wait(upTo: .seconds(10))
        #expect(ContinuousClock.now - immediate < .seconds(5))
        // The first wait's cancelled timer must not wake the next one early.
        let waited = ContinuousClock.now
        await signal.wait(upTo: .milliseconds(200))
        #expect(ContinuousClock.now - waited >= .milliseconds(150))
    }

    @Test func spoolKeepsRecordsUntilTheyAreSentAndAcrossReopening() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("spool-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let failing = Atomic<Bool>(true)
        let delivered = Locked<[Audit.Record]>([])
        let send: AuditSpool.Sender = { records in
            if failing.load(ordering: .relaxed) { throw RPCError(.unavailable, "security down") }
            delivered.withLock { $0.append(contentsOf: records) }
        }
        let spool = try await AuditSpool.open(path: path, batchSize: 2, logger: nil, send: send)
        for index in 0..<5 {
            var record = Audit.Record()
            record.method = "m\(index)"
            try await spool.append(record)
        }
        await #expect(throws: RPCError.self) { try await spool.flushOnce() }
        #expect(try await spool.pendingCount() == 5)
        await spool.close()

        let reopened = try await AuditSpool.open(path: path, batchSize: 2, logger: nil, send: send)
        #expect(try await reopened.pendingCount() == 5)
        failing.store(false, ordering: .relaxed)
        #expect(try await reopened.flushOnce() == 5)
        #expect(delivered.value.map(\.method) == ["m0", "m1", "m2", "m3", "m4"])
        #expect(try await reopened.pendingCount() == 0)
        await reopened.close()
    }

    /// A call's record is committed before it is forwarded: while the call runs it is not sent;
    /// once finished it is sent with its outcome; left open by a stop, it is released as UNKNOWN.
    @Test func writtenAheadRecordsWaitForTheirOutcomeAndSurviveAStop() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("spool-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let delivered = Locked<[Audit.Record]>([])
        let send: AuditSpool.Sender = { records in delivered.withLock { $0.append(contentsOf: records) } }
        let spool = try await AuditSpool.open(path: path, logger: nil, send: send)
        var finished = Audit.Record()
        finished.method = "backoffice.orders.Orders/Refund"
        let first = try await spool.begin(finished)
        var interrupted = Audit.Record()
        interrupted.method = "backoffice.orders.Orders/Cancel"
        interrupted.outcome = "OK"
        _ = try await spool.begin(interrupted)
        #expect(try await spool.flushOnce() == 0)
        finished.outcome = "PERMISSION_DENIED"
        try await spool.finish(first, finished)
        #expect(try await spool.flushOnce() == 1)
        #expect(delivered.value.map(\.outcome) == ["PERMISSION_DENIED"])
        await spool.close()  // the gateway stops with the second call in flight

        let reopened = try await AuditSpool.open(path: path, logger: nil, send: send)
        #expect(try await reopened.flushOnce() == 1)
        let released = try #require(delivered.value.last)
        #expect(released.method == "backoffice.orders.Orders/Cancel" && released.outcome == "UNKNOWN")
        #expect(released.details["note"] == AuditSpool.interruptedNote)
        #expect(try await reopened.pendingCount() == 0)
        await reopened.close()
    }
}

@Suite(.timeLimit(.minutes(1)))
struct SignatureCacheTests {
    @Test func signaturesAreReusedForOneSecondPerCallerAndMethod() throws {
        let time = ManualClock()
        let signer = PrincipalSigner(key: SecretKey.random())
        let cache = SignatureCache(signer: signer, clock: time.clock)
        let user = Caller(TestPrincipals.user)
        let methodC = MethodDescriptor(service: "a.B", name: "C", kind: .unary, requestType: RawMessage.self, responseType: RawMessage.self)
        let methodD = MethodDescriptor(service: "a.B", name: "D", kind: .unary, requestType: RawMessage.self, responseType: RawMessage.self)
        let first = cache.value(for: user, method: methodC)
        #expect(cache.value(for: user, method: methodC) == first)
        #expect(cache.value(for: user, method: methodD) != first)
        #expect(cache.value(for: Caller(TestPrincipals.auditor), method: methodC) != first)
        // Another caller object for the same principal (its credential was looked up again)
        // gets a signature of its own.
        #expect(cache.value(for: Caller(TestPrincipals.user), method: methodC) != first)
        #expect(try signer.verify(first, method: "a.B/C").subjectId == "u_plain")
        #expect(try signer.verify(cache.value(for: user, method: methodD), method: "a.B/D").subjectId == "u_plain")
        time.advance(byMillis: 1001)
        let renewed = cache.value(for: user, method: methodC)
        #expect(renewed != first)
        #expect(try signer.verify(renewed, method: "a.B/C").subjectId == "u_plain")
    }

    @Test func onAnEventLoopTheLastSignatureIsHandedOutOnlyForItsCallerMethodAndTime() async throws {
        // The loop remembers the signature it handed out last; it must not leak to another caller
        // or method, nor outlive its reuse window.
        let time = ManualClock()
        let signer = PrincipalSigner(key: SecretKey.random())
        let cache = SignatureCache(signer: signer, clock: time.clock)
        let user = Caller(TestPrincipals.user)
        let auditor = Caller(TestPrincipals.auditor)
        let methodC = MethodDescriptor(service: "a.B", name: "C", kind: .unary, requestType: RawMessage.self, responseType: RawMessage.self)
        let methodD = MethodDescriptor(service: "a.B", name: "D", kind: .unary, requestType: RawMessage.self, responseType: RawMessage.self)
        let loop = EventLoopGroup.shared.loops[0]
        let onLoop: @Sendable (Caller, MethodDescriptor) async -> String = { caller, method in
            await loop.submit { cache.value(for: caller, method: method) }
        }
        let first = await onLoop(user, methodC)
        #expect(await onLoop(user, methodC) == first)
        let forAuditor = await onLoop(auditor, methodC)
        #expect(forAuditor != first)
        #expect(try signer.verify(forAuditor, method: "a.B/C").subjectId == TestPrincipals.auditor.subjectId)
        let forD = await onLoop(user, methodD)
        #expect(try signer.verify(forD, method: "a.B/D").subjectId == "u_plain")
        #expect(await onLoop(user, methodC) == first)
        time.advance(byMillis: 1001)
        let renewed = await onLoop(user, methodC)
        #expect(renewed != first)
        #expect(try signer.verify(renewed, method: "a.B/C").subjectId == "u_plain")
    }

    @Test func forwardedHeadersReuseTheSharedPartOnlyForTheSameCallerOnALoop() async throws {
        // Each loop keeps the encodings of its last callers' methods and shared pairs; a call whose
        // method, client pairs, address or signature differ from every kept one must get its own,
        // and every call its own request id and timeout. Callers interleave (several client
        // connections on one loop), and more of them than the loop keeps replace the oldest.
        let headers = ForwardedHeaders()
        let loop = EventLoopGroup.shared.loops[0]
        let trace: Metadata = ["authorization": "Bearer bos_x", "x-trace": "t1", "x-backoffice-principal": "forged"]
        var calls: [(method: String, metadata: ForwardedMetadata, timeout: Int64)] = [
            ("a.B/C", ForwardedMetadata(client: trace, clientAddress: "127.0.0.1:5000", requestID: "r1", signature: "s1"), 5000),
            ("a.B/C", ForwardedMetadata(client: trace, clientAddress: "127.0.0.1:5000", requestID: "r2", signature: "s1"), 0),
            ("a.B/C", ForwardedMetadata(client: ["x-trace": "t2"], clientAddress: "127.0.0.1:5000", requestID: "r3", signature: "s1"), 7),
            ("a.B/C", ForwardedMetadata(client: ["x-trace": "t2"], clientAddress: "127.0.0.1:5000", requestID: "r4", signature: "s2"), 7),
            ("a.B/C", ForwardedMetadata(client: ["x-trace": "t2"], clientAddress: "127.0.0.1:6000", requestID: "r5", signature: "s2"), 7),
            ("a.B/D", ForwardedMetadata(client: ["x-trace": "t2"], clientAddress: "127.0.0.1:6000", requestID: "r6", signature: nil), 7),
            ("a.B/C", ForwardedMetadata(client: trace, clientAddress: "127.0.0.1:5000", requestID: "r7", signature: "s1"), 1),
        ]
        for round in 0..<2 {
            for port in 7000..<(7000 + ForwardedHeaders.capacity + 2) {
                let metadata = ForwardedMetadata(
                    client: trace, clientAddress: "127.0.0.1:\(port)", requestID: "r\(round)-\(port)", signature: "s1")
                calls.append(("a.B/C", metadata, Int64(port)))
            }
        }
        for call in calls {
            for onLoop in [true, false] {
                let encoded: [UInt8]
                if onLoop {
                    encoded = await loop.submit {
                        var buffer: [UInt8] = []
                        headers.encode(method: call.method, metadata: call.metadata, timeoutMicros: call.timeout, into: &buffer)
                        return buffer
                    }
                } else {
                    var buffer: [UInt8] = []
                    headers.encode(method: call.method, metadata: call.metadata, timeoutMicros: call.timeout, into: &buffer)
                    encoded = buffer
                }
                let decoded = try Wire.CallHeaders(serializedBytes: encoded)
                #expect(decoded.method == call.method)
                #expect(decoded.timeoutMicros == call.timeout)
                var expected = Dictionary(uniqueKeysWithValues: call.metadata.metadata.map { ($0.key, $0.value) })
                expected.removeValue(forKey: "authorization")
                #expect(decoded.metadata == expected)
                #expect(decoded.metadata[Metadata.Keys.requestID] == call.metadata.requestID)
                #expect(decoded.metadata[SuiteMetadata.clientAddress] == call.metadata.clientAddress)
                #expect(decoded.metadata[PrincipalSigner.metadataKey] == call.metadata.signature)
            }
        }
    }

    @Test func requestIDsAreUniqueAcrossLoopsAndOffThem() async {
        let ids = RequestIDGenerator(prefix: "gw-")
        // Off the loops: the count times 16 plus 15, in lower-case hex after the prefix.
        let offLoop = (0..<40).map { _ in ids.next() }
        #expect(offLoop.prefix(3) == ["gw-1f", "gw-2f", "gw-3f"])
        var made = offLoop
        for loop in EventLoopGroup.shared.loops {
            made += await loop.submit { (0..<40).map { _ in ids.next() } }
            made += await loop.submit { (0..<40).map { _ in ids.next() } }  // the loop's count goes on
        }
        #expect(Set(made).count == made.count)
        #expect(made.allSatisfy { $0.hasPrefix("gw-") && $0.dropFirst(3).allSatisfy(\.isHexDigit) })
    }

    @Test func retriesAreLimitedToAFractionOfTheCalls() async {
        let budget = RetryBudget(ratio: 0.1, capacity: 3)
        // A full budget at first, then one retry per ten calls, never more than the capacity.
        #expect((0..<5).map { _ in budget.withdrawRetry() } == [true, true, true, false, false])
        for _ in 0..<9 { budget.recordCall() }
        #expect(!budget.withdrawRetry())
        budget.recordCall()
        #expect(budget.withdrawRetry() && !budget.withdrawRetry())
        for _ in 0..<1000 { budget.recordCall() }
        #expect((0..<5).map { _ in budget.withdrawRetry() } == [true, true, true, false, false])
        // Each event loop keeps its own, full at first and spent by its own retries alone.
        let loop = EventLoopGroup.shared.loops[0]
        #expect(await loop.submit { (0..<4).map { _ in budget.withdrawRetry() } } == [true, true, true, false])
        let afterTenCalls = await loop.submit {
            for _ in 0..<10 { budget.recordCall() }
            return budget.withdrawRetry()
        }
        #expect(afterTenCalls)
        #expect(await loop.submit { budget.withdrawRetry() } == false)
    }
}
