import BackofficeAPI
import ContentService
import RPC
import Testing

/// Scheduled publication and unpublication with a manual clock.
@Suite(.timeLimit(.minutes(1)))
struct SchedulerTests {
    @Test func dueSchedulesApplyInOrderAndOnlyWhenDue() async throws {
        try await ContentFixture.with { fixture in
            let item = try await fixture.article("Soon", slug: "soon")
            let start = fixture.clock.nowUnixMs()
            let scheduled = try await fixture.items.schedule(
                id: item.id, expectedVersion: 1, publishAt: start + 1000, unpublishAt: start + 5000, actor: "u-pub")
            #expect(scheduled.status == .scheduled)
            #expect(try await fixture.items.nextDueTime() == start + 1000)
            #expect(try await fixture.items.applyDueSchedules(now: start + 999).isEmpty)

            #expect(try await fixture.items.applyDueSchedules(now: start + 1000) == [item.id])
            let published = try await fixture.items.publishedItem(slug: "soon", locale: "en")
            #expect(published.status == .published)
            #expect(published.publishedAtUnixMs == start + 1000)
            #expect(published.updatedBy == ItemStore.schedulerActor)
            #expect(try await fixture.items.nextDueTime() == start + 5000)

            #expect(try await fixture.items.applyDueSchedules(now: start + 6000) == [item.id])
            await expectRPCError(.notFound) { try await fixture.items.publishedItem(slug: "soon", locale: "en") }
            #expect(try await fixture.items.item(id: item.id).status == .draft)
            #expect(try await fixture.items.nextDueTime() == nil)
            let actions = try await fixture.items.revisions(itemID: item.id, pageSize: 0, pageToken: "").revisions.map(\.action)
            #expect(actions == ["scheduled unpublish", "scheduled publish", "schedule", "create"])
        }
    }

    @Test func bothSchedulesDueAtOncePublishThenUnpublish() async throws {
        try await ContentFixture.with { fixture in
            let item = try await fixture.article("Missed", slug: "missed")
            let start = fixture.clock.nowUnixMs()
            _ = try await fixture.items.schedule(
                id: item.id, expectedVersion: 1, publishAt: start + 10, unpublishAt: start + 20, actor: "u")
            #expect(try await fixture.items.applyDueSchedules(now: start + 100) == [item.id, item.id])
            let final = try await fixture.items.item(id: item.id)
            #expect(final.status == .draft)
            #expect(final.publishedAtUnixMs == start + 10)
        }
    }

    @Test func theSchedulerWakesAtTheDueTimeOfTheManualClock() async throws {
        try await ContentFixture.with { fixture in
            let scheduler = ContentScheduler(store: fixture.items, idleCheckMs: 3_600_000)
            let task = Task { await scheduler.run() }
            defer { task.cancel() }
            let item = try await fixture.article("Timed", slug: "timed")
            let start = fixture.clock.nowUnixMs()
            _ = try await fixture.items.schedule(id: item.id, expectedVersion: 1, publishAt: start + 30_000, unpublishAt: 0, actor: "u")
            scheduler.wake()
            // Wait until the scheduler sleeps towards the new due time, then move the clock just short of it.
            try await Self.waitUntil {
                let next = try await fixture.items.nextDueTime()
                return fixture.clock.sleeperCount == 1 && next == start + 30_000
            }
            fixture.clock.advance(byMs: 29_000)
            try await Task.sleep(for: .milliseconds(50))
            #expect(try await fixture.items.item(id: item.id).status == .scheduled)
            fixture.clock.advance(byMs: 1_000)
            try await Self.waitUntil { (try? await fixture.items.item(id: item.id).status) == .published }
        }
    }

    @Test func theSchedulerAppliesWhatFellDueWhileItWasStopped() async throws {
        try await ContentFixture.with { fixture in
            let item = try await fixture.article("Overdue", slug: "overdue")
            let start = fixture.clock.nowUnixMs()
            _ = try await fixture.items.schedule(id: item.id, expectedVersion: 1, publishAt: start + 1000, unpublishAt: 0, actor: "u")
            fixture.clock.advance(byMs: 10_000)
            let scheduler = ContentScheduler(store: fixture.items)
            let task = Task { await scheduler.run() }
            defer { task.cancel() }
            try await Self.waitUntil { (try? await fixture.items.item(id: item.id).status) == .published }
        }
    }

    @Test func schedulingOnlyAnUnpublicationNeedsAPublishedItem() async throws {
        try await ContentFixture.with { fixture in
            let item = try await fixture.article("Draft", slug: "draft")
            let now = fixture.clock.nowUnixMs()
            await expectRPCError(.failedPrecondition) {
                try await fixture.items.schedule(id: item.id, expectedVersion: 1, publishAt: 0, unpublishAt: now + 10, actor: "u")
            }
            let published = try await fixture.items.publish(id: item.id, expectedVersion: 1, actor: "u")
            let withEnd = try await fixture.items.schedule(
                id: item.id, expectedVersion: published.version, publishAt: 0, unpublishAt: now + 10, actor: "u")
            #expect(withEnd.status == .published)
            #expect(withEnd.unpublishAtUnixMs == now + 10)
            await expectRPCError(.failedPrecondition) {
                try await fixture.items.schedule(
                    id: item.id, expectedVersion: withEnd.version, publishAt: now + 5, unpublishAt: 0, actor: "u")
            }
            let draft = try await fixture.items.unpublish(id: item.id, expectedVersion: withEnd.version, actor: "u")
            #expect(draft.status == .draft)
            #expect(draft.unpublishAtUnixMs == 0)
        }
    }

    /// Polls `condition` every 10 ms for at most 5 s.
    static func waitUntil(_ condition: () async throws -> Bool) async throws {
        for _ in 0..<500 {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("condition not met within 5 s")
    }
}
