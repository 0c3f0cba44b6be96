import AccessControl
import BackofficeAPI
import Foundation
import Gateway
import Glibc
import RPC
import ServiceRuntime
import Storage
import Testing
import TestSupport

/// Calls through the real gateway executable: the three call kinds forwarded byte for byte,
/// reflection, and the audit records of mutating calls (including across a `kill -9`).
@Suite(.timeLimit(.minutes(1)))
struct GatewayForwardingTests {
    @Test func unaryServerStreamingAndClientStreamingCallsAreForwarded() async throws {
        try await GatewayFixture.with { fixture in
            let options = GatewayFixture.bearer("tok-user")
            let unary = try await fixture.echoClient.unary(.with(payload: [1, 2, 3]), options: options)
            #expect(unary.payload == [1, 2, 3])

            let indexes = Locked<[UInt32]>([])
            try await fixture.echoClient.expand(.with(payload: [4], repeat: 3), options: options) { response in
                indexes.withLock { $0.append(response.index) }
            }
            #expect(indexes.value == [0, 1, 2])

            let collected = try await fixture.echoClient.collect(options: options) { writer in
                for byte: UInt8 in [5, 6, 7] { try await writer.write(.with(payload: [byte])) }
            }
            #expect(collected.payload == [5, 6, 7])
            #expect(collected.index == 3)

            // Statuses and their details come back as the service sent them.
            let failed = await rpcError {
                _ = try await fixture.echoClient.unary(.with(failCode: .notFound, failMessage: "no such thing"), options: options)
            }
            #expect(failed?.code == .notFound)
            #expect(failed?.message == "no such thing")
            // Echo is read-only: nothing audited.
            try await Task.sleep(for: .milliseconds(100))
            #expect(fixture.fake.records.isEmpty)
        }
    }

    @Test func callsAreSpreadRoundRobinOverInstances() async throws {
        try await GatewayFixture.with(echoInstances: 2) { fixture in
            for _ in 0..<10 { _ = try await fixture.echoClient.unary(.with(), options: GatewayFixture.bearer("tok-user")) }
            let first = try await GatewayFixture.callCount(Echo.EchoService.unary, at: fixture.echo.address)
            let second = try await GatewayFixture.callCount(Echo.EchoService.unary, at: fixture.extraEchoes[0].address)
            #expect(first + second == 10)
            #expect(first == 5 && second == 5)
        }
    }

    @Test func readOnlyCallsAreRetriedOnAnotherInstanceWhenOneDies() async throws {
        try await GatewayFixture.with(echoInstances: 2) { fixture in
            let options = GatewayFixture.bearer("tok-user")
            _ = try await fixture.echoClient.unary(.with(), options: options)
            // Calls in flight on the instance that dies are retried on the other one.
            let calls = (0..<8).map { _ in
                Task { await rpcError { _ = try await fixture.echoClient.unary(.with(delayMillis: 200), options: options) } }
            }
            try await Task.sleep(for: .milliseconds(50))
            fixture.echo.signal(SIGKILL)
            for call in calls {
                let error = await call.value
                #expect(error == nil, "\(String(describing: error))")
            }
            for _ in 0..<10 {
                let error = await rpcError { _ = try await fixture.echoClient.unary(.with(), options: options) }
                #expect(error == nil, "\(String(describing: error))")
            }
        }
    }

    @Test func sigtermDrainsCallsInFlightAndRefusesNewOnes() async throws {
        try await GatewayFixture.with { fixture in
            let options = GatewayFixture.bearer("tok-user", timeout: .seconds(10))
            let received = Locked<[UInt32]>([])
            let call = Task {
                await rpcError {
                    try await fixture.echoClient.expand(.with(repeat: 5, delayMillis: 100), options: options) { response in
                        received.withLock { $0.append(response.index) }
                    }
                }
            }
            #expect(await GatewayFixture.eventually { !received.value.isEmpty })
            fixture.gateway.signal(SIGTERM)
            let error = await call.value
            #expect(error == nil, "\(String(describing: error))")
            #expect(received.value == [0, 1, 2, 3, 4])
            #expect(await fixture.gateway.waitForExit(timeout: 10) == 0)
        }
    }

    @Test func reflectionListsServicesMethodsRulesAndMessageTypesWithoutCredentials() async throws {
        try await GatewayFixture.with { fixture in
            let listing = try await Gateway.ReflectionClient(channel: fixture.client).listServices(
                Gateway.ListServicesRequest(), options: CallOptions(timeout: .seconds(5)))
            let echo = try #require(listing.services.first { $0.name == "backoffice.echo.Echo" })
            #expect(echo.routed)
            #expect(echo.methods.map(\.name) == ["Unary", "Expand", "Collect"])
            #expect(echo.methods.map(\.kind) == ["unary", "serverStreaming", "clientStreaming"])
            #expect(echo.methods.allSatisfy { $0.access == "authenticated" && $0.readOnly })
            #expect(echo.methods[0].requestType == "backoffice.echo.EchoRequest")
            let accounts = try #require(listing.services.first { $0.name == "backoffice.security.Accounts" })
            let setStatus = try #require(accounts.methods.first { $0.name == "SetAccountStatus" })
            #expect(setStatus.access == "suite.internal")
            #expect(!setStatus.readOnly)
            let request = try #require(listing.messages.first { $0.fullName == "backoffice.echo.EchoRequest" })
            #expect(request.fields.map(\.name) == ["payload", "repeat", "delay_millis", "fail_code", "fail_message"])
            #expect(request.fields.map(\.type) == ["bytes", "uint32", "uint32", "int32", "string"])
            let create = try #require(listing.messages.first { $0.fullName == "backoffice.security.CreateAccountRequest" })
            let kind = try #require(create.fields.first { $0.name == "kind" })
            #expect(kind.type == "enum" && kind.typeName == "backoffice.auth.PrincipalKind")
            let roles = try #require(create.fields.first { $0.name == "roles" })
            #expect(roles.label == "repeated")
            #expect(listing.enums.contains { $0.fullName == "backoffice.auth.PrincipalKind" && $0.values.count == 5 })
            #expect(listing.messages.contains { $0.fullName == "backoffice.auth.Principal" })
        }
    }

    @Test func mutatingCallsAreAuditedWithTargetOutcomeAndAddress() async throws {
        try await GatewayFixture.with { fixture in
            let accounts = Security.AccountsClient(channel: fixture.client)
            var request = Security.SetAccountStatusRequest()
            request.userId = "u_target"
            request.status = .deactivated
            _ = try await accounts.setAccountStatus(request, options: GatewayFixture.bearer("tok-internal"))
            let denied = await rpcError { _ = try await accounts.setAccountStatus(request, options: GatewayFixture.bearer("tok-user")) }
            #expect(denied?.code == .permissionDenied)

            #expect(await GatewayFixture.eventually { fixture.fake.records.count >= 2 })
            let records = fixture.fake.records
            #expect(records.count == 2)
            #expect(records.map(\.actor) == ["k_internal", "u_plain"])
            #expect(records.map(\.actorKind) == ["program", "staff"])
            #expect(records.allSatisfy { $0.method == "backoffice.security.Accounts/SetAccountStatus" && $0.target == "u_target" })
            #expect(records.map(\.outcome) == ["OK", "PERMISSION_DENIED"])
            #expect(records.allSatisfy { $0.clientAddress.hasPrefix("127.0.0.1:") && !$0.requestId.isEmpty && $0.occurredAtUnixMs > 0 })
            // The service saw the caller's principal, not the gateway's.
            let seen = fixture.fake.seen.filter { $0.method == "backoffice.security.Accounts/SetAccountStatus" }
            #expect(seen.map { $0.principal?.subjectId } == ["k_internal"])
        }
    }

    @Test func auditRecordsWaitInTheSpoolAcrossAKillAndAreDeliveredLater() async throws {
        let dead = SocketAddress(host: "127.0.0.1", port: 1)
        try await GatewayFixture.with(auditRoute: dead.description) { fixture in
            var request = Security.DeleteAccountRequest()
            request.userId = "u_erased"
            _ = try await Security.AccountsClient(channel: fixture.client).deleteAccount(
                request, options: GatewayFixture.bearer("tok-internal"))
            // The record was committed before the response: kill -9 and read the spool.
            fixture.gateway.signal(SIGKILL)
            _ = await fixture.gateway.waitForExit(timeout: 5)
            let spoolPath = fixture.dataDirectory.appendingPathComponent("audit-spool.sqlite").path
            let database = try await Database.open(path: spoolPath, migrations: AuditSpool.migrations)
            let spooled = try await database.read { try $0.queryOne("SELECT count(*) AS n FROM spool")?.int("n") ?? -1 }
            await database.close()
            #expect(spooled == 1)
            #expect(fixture.fake.records.isEmpty)

            // A new gateway on the same data directory, with the audit trail reachable, delivers it.
            var arguments = fixture.gatewayArguments
            let routesIndex = try #require(arguments.firstIndex(of: "--routes"))
            arguments[routesIndex + 1] = arguments[routesIndex + 1].replacingOccurrences(
                of: "backoffice.audit=\(dead)", with: "backoffice.audit=\(fixture.securityAddress)")
            fixture.gateway = try await ServiceProcess("backoffice-gateway", arguments: arguments)
            #expect(await GatewayFixture.eventually { fixture.fake.records.count == 1 })
            #expect(fixture.fake.records.first?.target == "u_erased")
            #expect(fixture.fake.records.first?.method == "backoffice.security.Accounts/DeleteAccount")
        }
    }
}
