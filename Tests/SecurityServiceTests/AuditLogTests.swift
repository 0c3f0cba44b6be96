import RPC
import SecurityService
import Storage
import Testing

/// The audit log over a real SQLite file: the chain, tampering, gaps, queries, pagination and
/// validation.
@Suite(.timeLimit(.minutes(1)))
struct AuditLogTests {
    @Test func aChainOfAppendsVerifies() async throws {
        let fixture = try AuditFixture()
        let log = try await fixture.openLog()
        var previous = AuditChainHash.genesis
        for index in 0..<25 {
            let entry = try await log.append(.sample(index))
            #expect(entry.sequence == UInt64(index + 1))
            #expect(entry.previousHash == previous)
            #expect(entry.hash.count == 32)
            #expect(entry.id.hasPrefix("aud_"))
            previous = entry.hash
        }
        let result = try await log.verify()
        #expect(result.isIntact)
        #expect(result.recordsChecked == 25)
        #expect(result.brokenSequence == nil)
    }

    @Test func verifyingMoreEntriesThanOneChunkWorks() async throws {
        let fixture = try AuditFixture()
        let log = try await fixture.openLog()
        _ = try await log.append(contentsOf: (0..<1000).map(AuditRecord.sample))
        _ = try await log.append(contentsOf: (0..<500).map(AuditRecord.sample))
        let result = try await log.verify()
        #expect(result.isIntact)
        #expect(result.recordsChecked == 1500)
    }

    @Test(arguments: [
        "UPDATE audit_records SET actor = 'mallory' WHERE sequence = 7",
        "UPDATE audit_records SET occurred_at_unix_ms = occurred_at_unix_ms + 1 WHERE sequence = 7",
        "UPDATE audit_records SET details = '{\"index\":\"6\"}' WHERE sequence = 7",
        "UPDATE audit_records SET details = 'not json' WHERE sequence = 7",
        "UPDATE audit_records SET hash = zeroblob(32) WHERE sequence = 7",
    ])
    func tamperingIsReportedAtTheAlteredEntry(sql: String) async throws {
        let fixture = try AuditFixture()
        let log = try await fixture.openLog()
        _ = try await log.append(contentsOf: (0..<12).map(AuditRecord.sample))
        try fixture.tamper(sql)
        let result = try await log.verify()
        #expect(!result.isIntact)
        #expect(result.brokenSequence == 7)
        #expect(result.problem == .hashMismatch)
        #expect(result.recordsChecked == 6)
    }

    @Test func aRewrittenPreviousHashIsReportedAsSuch() async throws {
        let fixture = try AuditFixture()
        let log = try await fixture.openLog()
        _ = try await log.append(contentsOf: (0..<5).map(AuditRecord.sample))
        try fixture.tamper("UPDATE audit_records SET previous_hash = zeroblob(32) WHERE sequence = 3")
        let result = try await log.verify()
        #expect(result.brokenSequence == 3)
        #expect(result.problem == .previousHashMismatch)
    }

    @Test func deletingAMiddleEntryIsAGap() async throws {
        let fixture = try AuditFixture()
        let log = try await fixture.openLog()
        _ = try await log.append(contentsOf: (0..<10).map(AuditRecord.sample))
        try fixture.tamper("DELETE FROM audit_records WHERE sequence = 4")
        let result = try await log.verify()
        #expect(result.brokenSequence == 4)
        #expect(result.problem == .sequenceGap)
        #expect(result.recordsChecked == 3)
    }

    @Test func deletingTheNewestEntriesIsAGapToo() async throws {
        let fixture = try AuditFixture()
        let log = try await fixture.openLog()
        _ = try await log.append(contentsOf: (0..<10).map(AuditRecord.sample))
        try fixture.tamper("DELETE FROM audit_records WHERE sequence >= 9")
        let result = try await log.verify()
        #expect(result.brokenSequence == 9)
        #expect(result.problem == .sequenceGap)
        // Appending afterwards does not paper over it.
        let entry = try await log.append(.sample(99))
        #expect(entry.sequence == 11)
        #expect(try await log.verify().brokenSequence == 9)
    }

    @Test func zeroOccurredAtMeansNow() async throws {
        let fixture = try AuditFixture()
        let log = try await fixture.openLog(now: { 123_456 })
        let entry = try await log.append(AuditRecord(method: "m", outcome: "OK"))
        #expect(entry.record.occurredAtUnixMs == 123_456)
        let page = try await log.query(AuditQuery())
        #expect(page.entries == [entry])
    }

    @Test func eachFilterSelectsExactlyTheMatchingEntries() async throws {
        let fixture = try AuditFixture()
        let log = try await fixture.openLog()
        let records = (0..<60).map(AuditRecord.sample)
        _ = try await log.append(contentsOf: records)
        let cases: [(AuditQuery, (AuditRecord) -> Bool)] = [
            (AuditQuery(actor: "user-1"), { $0.actor == "user-1" }),
            (AuditQuery(method: "backoffice.users.Users/M2"), { $0.method == "backoffice.users.Users/M2" }),
            (AuditQuery(target: "t-3"), { $0.target == "t-3" }),
            (AuditQuery(outcome: "PERMISSION_DENIED"), { $0.outcome == "PERMISSION_DENIED" }),
            (AuditQuery(fromUnixMs: 1_100, toUnixMs: 1_200), { $0.occurredAtUnixMs >= 1_100 && $0.occurredAtUnixMs < 1_200 }),
            (AuditQuery(fromUnixMs: 1_500), { $0.occurredAtUnixMs >= 1_500 }),
            (
                AuditQuery(actor: "user-0", outcome: "OK", toUnixMs: 1_400),
                { $0.actor == "user-0" && $0.outcome == "OK" && $0.occurredAtUnixMs < 1_400 }
            ),
        ]
        for (query, matches) in cases {
            var query = query
            query.pageSize = 500
            let page = try await log.query(query)
            let expected = records.enumerated().filter { matches($0.element) }.map { UInt64($0.offset + 1) }.reversed()
            #expect(page.entries.map(\.sequence) == Array(expected), "\(query)")
            #expect(!expected.isEmpty)
            #expect(page.nextPageToken == nil)
        }
        let first = try #require(try await log.query(AuditQuery()).entries.first)
        #expect(first.record == records[59])
    }

    @Test(arguments: [1, 7, 50, 103])
    func paginationReturnsEveryEntryOnceNewestFirst(pageSize: Int) async throws {
        let fixture = try AuditFixture()
        let log = try await fixture.openLog()
        _ = try await log.append(contentsOf: (0..<103).map(AuditRecord.sample))
        var seen: [UInt64] = []
        var token: String?
        var pages = 0
        repeat {
            let page = try await log.query(AuditQuery(pageSize: pageSize, pageToken: token))
            #expect(page.entries.count <= pageSize)
            seen += page.entries.map(\.sequence)
            token = page.nextPageToken
            pages += 1
        } while token != nil && pages < 200
        #expect(seen == Array((1...103).reversed()))
        #expect(pages == (103 + pageSize - 1) / pageSize)
    }

    @Test func filteredPaginationReturnsEveryMatchOnce() async throws {
        let fixture = try AuditFixture()
        let log = try await fixture.openLog()
        _ = try await log.append(contentsOf: (0..<90).map(AuditRecord.sample))
        var seen: [UInt64] = []
        var token: String?
        repeat {
            let page = try await log.query(AuditQuery(actor: "user-2", pageSize: 4, pageToken: token))
            seen += page.entries.map(\.sequence)
            token = page.nextPageToken
        } while token != nil
        let expected: [UInt64] = (0..<90).filter { $0 % 3 == 2 }.map { UInt64($0 + 1) }.reversed()
        #expect(seen == expected)
    }

    @Test(arguments: [
        (AuditQuery(pageSize: 501), "page_size"),
        (AuditQuery(pageSize: 0), "page_size"),
        (AuditQuery(pageToken: "garbage"), "page_token"),
        (AuditQuery(pageToken: "ap1"), "page_token"),
        (AuditQuery(pageToken: "ap1zz"), "page_token"),
        (AuditQuery(outcome: "FINE"), "outcome"),
        (AuditQuery(fromUnixMs: 10, toUnixMs: 5), "to_unix_ms"),
    ])
    func invalidQueriesAreInvalidArguments(query: AuditQuery, field: String) async throws {
        let fixture = try AuditFixture()
        let log = try await fixture.openLog()
        let error = await #expect(throws: RPCError.self) { try await log.query(query) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.fieldViolations.map(\.field) == [field])
    }

    @Test func invalidAppendsNameEveryBadFieldAndWriteNothing() async throws {
        let fixture = try AuditFixture()
        let log = try await fixture.openLog()
        let long = String(repeating: "x", count: AuditRecord.maxFieldLength + 1)
        var record = AuditRecord(actor: long, method: "", outcome: "FINE")
        record.details = ["": "v", "k": long]
        let error = await #expect(throws: RPCError.self) { try await log.append(record) }
        #expect(error?.code == .invalidArgument)
        let fields: Set<String> = Set(error?.fieldViolations.map(\.field) ?? [])
        let expected: Set<String> = ["record.actor", "record.method", "record.outcome", "record.details[]", "record.details[k]"]
        #expect(fields == expected)

        var tooMany = AuditRecord.sample(0)
        tooMany.details = Dictionary(uniqueKeysWithValues: (0...AuditRecord.maxDetailCount).map { ("k\($0)", "v") })
        let detailsError = await #expect(throws: RPCError.self) { try await log.append(tooMany) }
        #expect(detailsError?.fieldViolations.map(\.field) == ["record.details"])

        #expect(try fixture.recordCount() == 0)
        #expect(try await log.verify() == AuditVerification(recordsChecked: 0))
    }

    @Test func aBatchIsAllOrNothing() async throws {
        let fixture = try AuditFixture()
        let log = try await fixture.openLog()
        _ = try await log.append(.sample(0))
        var records = (1..<6).map(AuditRecord.sample)
        records[3].outcome = "NOPE"
        let error = await #expect(throws: RPCError.self) { try await log.append(contentsOf: records) }
        #expect(error?.fieldViolations.map(\.field) == ["records[3].outcome"])
        #expect(try fixture.recordCount() == 1)

        // A failure inside the transaction, at its third record (sequence 4 is taken behind the
        // log's back), rolls back the records before it too.
        try fixture.tamper(
            """
            INSERT INTO audit_records SELECT 4, 'squatter', actor, actor_kind, method, target, outcome,
                client_address, request_id, occurred_at_unix_ms, details, previous_hash, hash
            FROM audit_records WHERE sequence = 1
            """)
        await #expect(throws: StorageError.self) { try await log.append(contentsOf: (1..<6).map(AuditRecord.sample)) }
        #expect(try fixture.recordCount() == 2)
        try fixture.tamper("DELETE FROM audit_records WHERE sequence = 4")
        #expect(try fixture.recordCount() == 1)

        let entries = try await log.append(contentsOf: (1..<6).map(AuditRecord.sample))
        #expect(entries.map(\.sequence) == [2, 3, 4, 5, 6])
        #expect(try fixture.recordCount() == 6)
        #expect(try await log.verify().isIntact)
    }
}
