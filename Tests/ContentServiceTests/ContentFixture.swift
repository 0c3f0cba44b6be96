import BackofficeAPI
import ContentService
import Foundation
import RPC
import Synchronization
import Testing

/// A clock tests move by hand; sleepers wake when it reaches their time.
final class ManualClock: ContentClock {
    private struct Sleeper {
        let id: Int
        let until: Int64
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Int64
        var nextID = 0
        var sleepers: [Sleeper] = []
    }

    private let state: Mutex<State>

    init(now: Int64 = 1_800_000_000_000) {
        state = Mutex(State(now: now))
    }

    func nowUnixMs() -> Int64 { state.withLock { $0.now } }

    /// How many tasks wait in `sleep`.
    var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    func sleep(untilUnixMs unixMs: Int64) async throws {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.now >= unixMs || Task.isCancelled { return true }
                    state.sleepers.append(Sleeper(id: id, until: unixMs, continuation: continuation))
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let sleeper = state.withLock { state -> Sleeper? in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return state.sleepers.remove(at: index)
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
        try Task.checkCancellation()
    }

    /// Moves the clock forward and wakes the sleepers whose time has come.
    func advance(byMs milliseconds: Int64) {
        let due = state.withLock { state -> [Sleeper] in
            state.now += milliseconds
            let now = state.now
            let due = state.sleepers.filter { $0.until <= now }
            state.sleepers.removeAll { $0.until <= now }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }
}

/// A content service in a fresh temporary directory, removed afterwards.
struct ContentFixture {
    let directory: String
    let clock: ManualClock
    let service: ContentService

    var items: ItemStore { service.items }
    var media: MediaLibrary { service.media }
    var configuration: SiteConfigStore { service.configuration }

    static func with<T>(
        limits: ContentService.Limits = ContentService.Limits(maxBodyBytes: 1000, maxMediaBytes: 64 * 1024),
        _ body: (ContentFixture) async throws -> T
    ) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("content-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = ManualClock()
        let service = try await ContentService(directory: directory, limits: limits, clock: clock)
        return try await body(ContentFixture(directory: directory, clock: clock, service: service))
    }

    /// How many rows `table` holds.
    func count(_ table: String) async throws -> Int {
        try await service.database.read { db in try db.queryOne("SELECT count(*) AS n FROM \(table)")!.int("n") }
    }

    /// Rows of items, revisions, tags, redirects and search entries, to prove nothing was written.
    func itemTableCounts() async throws -> [Int] {
        var counts: [Int] = []
        for table in ["content_items", "content_revisions", "content_item_tags", "content_slug_redirects", "content_search"] {
            counts.append(try await count(table))
        }
        return counts
    }

    /// Creates an article with these fields.
    @discardableResult
    func article(
        _ title: String, slug: String = "", locale: String = "en", body: String = "Body text.", tags: [String] = [],
        actor: String = "u-editor"
    ) async throws -> Content.Item {
        try await items.create(
            kind: .article, fields: .make(title: title, slug: slug, locale: locale, body: body, tags: tags), actor: actor)
    }
}

extension Content.ItemFields {
    /// Fields for tests.
    static func make(
        title: String, slug: String = "", locale: String = "en", body: String = "Body text.", summary: String = "",
        tags: [String] = []
    ) -> Content.ItemFields {
        var fields = Content.ItemFields()
        fields.title = title
        fields.slug = slug
        fields.locale = locale
        fields.body = body
        fields.summary = summary
        fields.tags = tags
        return fields
    }
}

/// Runs `body`, expects it to fail with `code`, and returns the error for further checks.
@discardableResult
func expectRPCError<T>(
    _ code: StatusCode, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> T
) async -> RPCError? {
    do {
        _ = try await body()
        Issue.record("expected \(code.name), but the call succeeded", sourceLocation: sourceLocation)
        return nil
    } catch let error as RPCError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected an RPCError \(code.name), got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

extension RPCError {
    /// The fields the violations name.
    var violatedFields: [String] { fieldViolations.map(\.field) }
}
