import BackofficeAPI
import RPC
import SecurityService
import Testing
import TestSupport

/// The Audit service over a real connection to an in-process server: messages in and out, and
/// errors as the caller sees them.
@Suite(.timeLimit(.minutes(1)))
struct AuditProviderTests {
    /// Runs `body` with a client of a server hosting an `AuditProvider` over a fresh database.
    private func withAudit(_ body: (Audit.AuditClient, AuditFixture) async throws -> Void) async throws {
        let fixture = try AuditFixture()
        let log = try await fixture.openLog()
        try await TestServer.with(services: [AuditProvider(log: log)]) { _, address in
            try await TestServer.withClient(address) { client in
                try await body(Audit.AuditClient(channel: client), fixture)
            }
        }
    }

    private static func record(_ index: Int) -> Audit.Record {
        var record = Audit.Record()
        record.actor = "user-\(index % 2)"
        record.actorKind = "user"
        record.method = "backoffice.users.Users/Get"
        record.target = "u-\(index)"
        record.outcome = index % 2 == 0 ? "OK" : "NOT_FOUND"
        record.requestId = "req-\(index)"
        record.details = ["n": "\(index)"]
        return record
    }

    @Test func appendQueryAndVerifyOverTheWire() async throws {
        try await withAudit { audit, _ in
            var request = Audit.AppendRequest()
            request.record = Self.record(0)
            let first = try await audit.append(request)
            #expect(first.sequence == 1)
            #expect(first.hash.count == 64)
            #expect(!first.id.isEmpty)

            var batch = Audit.AppendBatchRequest()
            batch.records = (1..<5).map(Self.record)
            let appended = try await audit.appendBatch(batch).appended
            #expect(appended.map(\.sequence) == [2, 3, 4, 5])

            var query = Audit.QueryRequest()
            query.outcome = "NOT_FOUND"
            query.pageSize = 1
            let page = try await audit.query(query)
            #expect(page.entries.map(\.sequence) == [4])
            #expect(page.entries.first?.record?.target == "u-3")
            #expect(page.entries.first?.record?.details == ["n": "3"])
            #expect(page.entries.first?.previousHash == appended[1].hash)
            #expect(page.entries.first?.hash == appended[2].hash)
            query.pageToken = page.nextPageToken
            let second = try await audit.query(query)
            #expect(second.entries.map(\.sequence) == [2])
            #expect(second.nextPageToken.isEmpty)

            let verified = try await audit.verify(Audit.VerifyRequest())
            #expect(verified.ok)
            #expect(verified.recordsChecked == 5)
            #expect(verified.problem == .unspecified)
        }
    }

    @Test func badRequestsAreInvalidArgumentsWithFieldDetails() async throws {
        try await withAudit { audit, fixture in
            let missing = await #expect(throws: RPCError.self) { try await audit.append(Audit.AppendRequest()) }
            #expect(missing?.code == .invalidArgument)
            #expect(missing?.fieldViolations.map(\.field) == ["record"])

            var bad = Audit.AppendRequest()
            var record = Self.record(0)
            record.method = ""
            record.outcome = "ok"
            record.target = String(repeating: "t", count: 513)
            bad.record = record
            let invalid = await #expect(throws: RPCError.self) { try await audit.append(bad) }
            #expect(invalid?.code == .invalidArgument)
            let fields: Set<String> = Set(invalid?.fieldViolations.map(\.field) ?? [])
            let expected: Set<String> = ["record.method", "record.outcome", "record.target"]
            #expect(fields == expected)
            let written = try fixture.recordCount()
            #expect(written == 0)

            var tooBig = Audit.QueryRequest()
            tooBig.pageSize = 501
            let size = await #expect(throws: RPCError.self) { try await audit.query(tooBig) }
            #expect(size?.code == .invalidArgument)
            #expect(size?.fieldViolations.map(\.field) == ["page_size"])

            var malformed = Audit.QueryRequest()
            malformed.pageToken = "not-a-token"
            let token = await #expect(throws: RPCError.self) { try await audit.query(malformed) }
            #expect(token?.code == .invalidArgument)
            #expect(token?.fieldViolations.map(\.field) == ["page_token"])
        }
    }

    @Test func verifyReportsTheBrokenLinkOverTheWire() async throws {
        try await withAudit { audit, fixture in
            var batch = Audit.AppendBatchRequest()
            batch.records = (0..<6).map(Self.record)
            _ = try await audit.appendBatch(batch)
            try fixture.tamper("DELETE FROM audit_records WHERE sequence = 5")
            let gap = try await audit.verify(Audit.VerifyRequest())
            #expect(!gap.ok)
            #expect(gap.brokenSequence == 5)
            #expect(gap.problem == .gap)
            #expect(gap.recordsChecked == 4)
            #expect(!gap.detail.isEmpty)

            try fixture.tamper("UPDATE audit_records SET outcome = 'OK' WHERE sequence = 2")
            let altered = try await audit.verify(Audit.VerifyRequest())
            #expect(altered.brokenSequence == 2)
            #expect(altered.problem == .hashMismatch)
        }
    }
}
