import BackofficeAPI
import Foundation
import Glibc
import RPC
import Testing
import TestSupport

/// `backoffice-security` as a real process: its flags, and an acknowledged append surviving
/// SIGKILL.
@Suite(.timeLimit(.minutes(1)))
struct SecurityProcessTests {
    @Test func helpDocumentsTheDataDirectory() async throws {
        let result = try await ServiceProcess.runToCompletion("backoffice-security", arguments: ["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("--data-dir"))
        #expect(result.stdout.contains("BACKOFFICE_SECURITY_DATA_DIR"))
    }

    @Test func anAcknowledgedAppendSurvivesSigkill() async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("security-process-\(UUID().uuidString)").appendingPathComponent("data").path
        defer { try? FileManager.default.removeItem(atPath: (directory as NSString).deletingLastPathComponent) }

        var request = Audit.AppendRequest()
        var record = Audit.Record()
        record.actor = "u-42"
        record.actorKind = "user"
        record.method = "backoffice.users.Users/Delete"
        record.target = "u-7"
        record.outcome = "PERMISSION_DENIED"
        record.details = ["reason": "not an admin"]
        request.record = record

        let first = try await ServiceProcess("backoffice-security", arguments: ["--data-dir", directory])
        defer { first.stop() }
        let appended = try await TestServer.withClient(first.address) { client in
            try await Audit.AuditClient(channel: client).append(request)
        }
        first.signal(SIGKILL)
        #expect(await first.waitForExit(timeout: 10) != nil)
        #expect(FileManager.default.fileExists(atPath: directory + "/security.sqlite"))

        let second = try await ServiceProcess("backoffice-security", arguments: ["--data-dir", directory])
        defer { second.stop() }
        try await TestServer.withClient(second.address) { client in
            let audit = Audit.AuditClient(channel: client)
            let page = try await audit.query(Audit.QueryRequest())
            #expect(page.entries.count == 1)
            let entry = try #require(page.entries.first)
            #expect(entry.sequence == appended.sequence)
            #expect(entry.id == appended.id)
            #expect(entry.hash == appended.hash)
            #expect(entry.record?.target == "u-7")
            #expect(entry.record?.details == ["reason": "not an admin"])
            let verified = try await audit.verify(Audit.VerifyRequest())
            #expect(verified.ok)
            #expect(verified.recordsChecked == 1)
            let next = try await audit.append(request)
            #expect(next.sequence == 2)
        }
    }
}
