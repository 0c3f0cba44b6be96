import Foundation
import Storage

/// `backoffice backup DIR` and `backoffice restore DIR`: every database of a suite's data folder,
/// copied online and consistently (SQLite's backup API, while the services keep writing), and put
/// back into a stopped suite.
enum BackupCommands {
    static let backupHelp = """
        Usage: backoffice backup DIR [--data-dir DATA]

        Copies every service's database in DATA (default: ./data) into DIR, which must not exist or
        be empty, while the suite runs: each copy is consistent (SQLite's online backup API) and
        passes SQLite's integrity check before it is kept. Other files (the content service's
        media) are copied too. DIR/MANIFEST lists what was copied.
        """

    static let restoreHelp = """
        Usage: backoffice restore DIR [--data-dir DATA]

        Puts the backup in DIR back into DATA (default: ./data). The suite using DATA must be
        stopped. Every database in DIR is checked first; if any fails, nothing is changed.
        """

    static func backup(_ words: [String], context: CommandContext) async -> Int32 {
        await run("backup", words, help: backupHelp, context: context) { backupDirectory, dataDirectory in
            let copied = try SuiteBackup.backup(data: dataDirectory, into: backupDirectory)
            context.out("Backed up \(copied.databases) database(s) and \(copied.files) other file(s) to \(backupDirectory.path).")
        }
    }

    static func restore(_ words: [String], context: CommandContext) async -> Int32 {
        await run("restore", words, help: restoreHelp, context: context) { backupDirectory, dataDirectory in
            let restored = try SuiteBackup.restore(from: backupDirectory, into: dataDirectory)
            context.out("Restored \(restored.databases) database(s) and \(restored.files) other file(s) into \(dataDirectory.path).")
        }
    }

    static func run(
        _ name: String, _ words: [String], help: String, context: CommandContext, body: (URL, URL) throws -> Void
    ) async -> Int32 {
        do {
            let arguments = try Arguments(words, valued: ["data-dir"])
            if arguments.wantsHelp {
                context.out(help)
                return 0
            }
            guard arguments.positionals.count == 1 else { throw UsageError("name exactly one DIR") }
            try body(
                URL(fileURLWithPath: arguments.positionals[0], isDirectory: true),
                URL(fileURLWithPath: arguments.options["data-dir"] ?? "./data", isDirectory: true))
            return 0
        } catch {
            return context.fail(name, error)
        }
    }
}

/// Copying a suite's data folder: databases through SQLite, other files as they are.
public enum SuiteBackup {
    /// What a backup or restore copied.
    public struct Counts: Equatable, Sendable {
        /// SQLite databases.
        public var databases = 0
        /// Other files (media).
        public var files = 0
    }

    /// The files of a data folder, relative paths, databases apart; lock files, SQLite's `-wal`
    /// and `-shm` companions and temporary files are left out.
    static func inventory(of root: URL) throws -> (databases: [String], files: [String]) {
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else {
            throw LauncherError("cannot read \(root.path)")
        }
        var databases: [String] = []
        var files: [String] = []
        let base = root.standardizedFileURL.path
        for case let url as URL in walker {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            let relative = String(url.standardizedFileURL.path.dropFirst(base.count + 1))
            let name = url.lastPathComponent
            if name == "suite.lock" || name == "MANIFEST" || name.hasSuffix("-wal") || name.hasSuffix("-shm")
                || name.hasSuffix("-journal") || name.hasPrefix(".") || name.contains(".tmp")
            {
                continue
            }
            if name.hasSuffix(".sqlite") { databases.append(relative) } else { files.append(relative) }
        }
        return (databases.sorted(), files.sorted())
    }

    /// Backs up the data folder `data` into `destination` (absent or empty).
    public static func backup(data: URL, into destination: URL) throws -> Counts {
        let manager = FileManager.default
        guard manager.fileExists(atPath: data.path) else { throw LauncherError("there is no data folder at \(data.path)") }
        if let existing = try? manager.contentsOfDirectory(atPath: destination.path), !existing.isEmpty {
            throw LauncherError("\(destination.path) is not empty; back up into a new folder")
        }
        let (databases, files) = try inventory(of: data)
        guard !databases.isEmpty else { throw LauncherError("\(data.path) holds no database to back up") }
        try manager.createDirectory(at: destination, withIntermediateDirectories: true)
        var manifest: [String] = []
        // Databases first: every file a copied database refers to already exists when the files are copied.
        for relative in databases {
            let target = destination.appendingPathComponent(relative)
            try manager.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            let connection = try DatabaseConnection(path: data.appendingPathComponent(relative).path)
            try connection.backup(to: target.path)
            manifest.append("database \(relative)")
        }
        for relative in files {
            let target = destination.appendingPathComponent(relative)
            try manager.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try manager.copyItem(at: data.appendingPathComponent(relative), to: target)
            manifest.append("file \(relative)")
        }
        let stamp = ISO8601DateFormatter().string(from: Date())
        try Data((["backoffice backup of \(data.path) at \(stamp)"] + manifest).joined(separator: "\n").utf8 + [0x0A])
            .write(to: destination.appendingPathComponent("MANIFEST"))
        return Counts(databases: databases.count, files: files.count)
    }

    /// Restores the backup in `source` into the data folder `data` of a stopped suite.
    public static func restore(from source: URL, into data: URL) throws -> Counts {
        let manager = FileManager.default
        guard manager.fileExists(atPath: source.appendingPathComponent("MANIFEST").path) else {
            throw LauncherError("\(source.path) is not a backoffice backup (no MANIFEST)")
        }
        if DataDirectoryLock.isHeld(directory: data) {
            throw LauncherError("the suite using \(data.path) is running; stop it before restoring")
        }
        let lock = try DataDirectoryLock(directory: data)
        defer { withExtendedLifetime(lock) {} }
        let (databases, files) = try inventory(of: source)
        // Check every copy before replacing anything.
        for relative in databases {
            let problems = try DatabaseConnection(path: source.appendingPathComponent(relative).path).integrityCheck()
            guard problems.isEmpty else {
                throw LauncherError("\(relative) in the backup is damaged (\(problems[0])); nothing was restored")
            }
        }
        for relative in databases {
            let target = data.appendingPathComponent(relative)
            try manager.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Database.restore(from: source.appendingPathComponent(relative).path, to: target.path)
        }
        for relative in files {
            let target = data.appendingPathComponent(relative)
            try manager.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            if manager.fileExists(atPath: target.path) { try manager.removeItem(at: target) }
            try manager.copyItem(at: source.appendingPathComponent(relative), to: target)
        }
        return Counts(databases: databases.count, files: files.count)
    }
}
