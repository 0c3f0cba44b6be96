import BackofficeAPI
import BackofficeCLI
import Foundation
import RPC
import Testing
import TestSupport

/// `backoffice backup` and `restore` on a real service's data folder while it keeps writing.
@Suite(.timeLimit(.minutes(1)))
struct BackupCommandTests {
    static func temporaryFolder(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)", isDirectory: true)
    }

    static func cli(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await ServiceProcess.runToCompletion("backoffice", arguments: arguments, timeout: 30)
    }

    static func append(_ client: Audit.AuditClient, _ index: Int) async throws -> UInt64 {
        var record = Audit.Record()
        record.method = "backoffice.test.Test/Write"
        record.target = "item-\(index)"
        record.outcome = "OK"
        var request = Audit.AppendRequest()
        request.record = record
        return try await client.append(request).sequence
    }

    static func recordsIn(dataDirectory: URL) async throws -> UInt64 {
        let security = try await ServiceProcess(
            "backoffice-security", arguments: ["--data-dir", dataDirectory.appendingPathComponent("security").path])
        defer { security.stop() }
        let client = RPCClient(target: security.address)
        defer { Task { await client.close() } }
        let verification = try await Audit.AuditClient(channel: client).verify(Audit.VerifyRequest())
        #expect(verification.ok)
        return verification.recordsChecked
    }

    @Test func backupWhileWritingThenRestoreIntoAFreshFolder() async throws {
        let data = Self.temporaryFolder("data")
        let backup = Self.temporaryFolder("backup")
        let restored = Self.temporaryFolder("restored")
        defer { for folder in [data, backup, restored] { try? FileManager.default.removeItem(at: folder) } }
        let security = try await ServiceProcess(
            "backoffice-security", arguments: ["--data-dir", data.appendingPathComponent("security").path])
        let client = RPCClient(target: security.address)
        let audit = Audit.AuditClient(channel: client)
        for index in 0..<20 { _ = try await Self.append(audit, index) }
        let acknowledgedBefore = Locked<UInt64>(20)
        let writer = Task {
            var index = 20
            while !Task.isCancelled && index < 5_000 {
                let sequence = try await Self.append(audit, index)
                acknowledgedBefore.withLock { $0 = max($0, sequence) }
                index += 1
            }
        }
        // Back up while the writer is in full swing.
        let deadline = Date().addingTimeInterval(10)
        while acknowledgedBefore.withLock({ $0 }) < 200 && Date() < deadline { try await Task.sleep(for: .milliseconds(5)) }
        let before = acknowledgedBefore.withLock { $0 }
        #expect(before >= 200)
        let result = try await Self.cli(["backup", backup.path, "--data-dir", data.path])
        writer.cancel()
        _ = try? await writer.value
        await client.close()
        security.stop()
        _ = await security.waitForExit()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Backed up 1 database(s)"))

        let restore = try await Self.cli(["restore", backup.path, "--data-dir", restored.path])
        #expect(restore.status == 0, "\(restore.stderr)")
        let count = try await Self.recordsIn(dataDirectory: restored)
        #expect(count >= before, "the backup lacks writes acknowledged before it started")
    }

    @Test func restoreRefusesARunningSuiteAndChangesNothing() async throws {
        let data = Self.temporaryFolder("data")
        let backup = Self.temporaryFolder("backup")
        defer { for folder in [data, backup] { try? FileManager.default.removeItem(at: folder) } }
        try FileManager.default.createDirectory(at: backup, withIntermediateDirectories: true)
        try Data("backoffice backup\n".utf8).write(to: backup.appendingPathComponent("MANIFEST"))
        let lock = try DataDirectoryLock(directory: data)
        let result = try await Self.cli(["restore", backup.path, "--data-dir", data.path])
        withExtendedLifetime(lock) {}
        #expect(result.status == 1)
        #expect(result.stderr == "backoffice restore: the suite using \(data.path) is running; stop it before restoring\n")
    }

    @Test func aDamagedBackupRestoresNothing() async throws {
        let data = Self.temporaryFolder("data")
        let backup = Self.temporaryFolder("backup")
        defer { for folder in [data, backup] { try? FileManager.default.removeItem(at: folder) } }
        for (folder, text) in [(backup, "not a database, damaged"), (data, "the current one")] {
            try FileManager.default.createDirectory(at: folder.appendingPathComponent("users"), withIntermediateDirectories: true)
            try Data(String(repeating: text, count: 200).utf8).write(to: folder.appendingPathComponent("users/users.sqlite"))
        }
        try Data("backoffice backup\n".utf8).write(to: backup.appendingPathComponent("MANIFEST"))
        let result = try await Self.cli(["restore", backup.path, "--data-dir", data.path])
        #expect(result.status == 1)
        #expect(result.stderr.split(separator: "\n").count == 1)
        let current = try String(contentsOf: data.appendingPathComponent("users/users.sqlite"), encoding: .utf8)
        #expect(current.hasPrefix("the current one"))
    }

    @Test(arguments: [
        (["backup"], "name exactly one DIR"),
        (["restore", "/nonexistent-backup"], "is not a backoffice backup"),
        (["backup", "/tmp/x", "--data-dir", "/nonexistent-data"], "there is no data folder"),
    ])
    func mistakesAreOneLine(arguments: [String], message: String) async throws {
        let result = try await Self.cli(arguments)
        #expect(result.status != 0)
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test func backupIntoAFolderWithFilesIsRefused() async throws {
        let data = Self.temporaryFolder("data")
        let backup = Self.temporaryFolder("backup")
        defer { for folder in [data, backup] { try? FileManager.default.removeItem(at: folder) } }
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: backup, withIntermediateDirectories: true)
        try Data("keep me".utf8).write(to: backup.appendingPathComponent("notes.txt"))
        let result = try await Self.cli(["backup", backup.path, "--data-dir", data.path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("is not empty"))
        #expect(try String(contentsOf: backup.appendingPathComponent("notes.txt"), encoding: .utf8) == "keep me")
    }
}
