import Foundation
import Glibc

/// An exclusive lock on a suite's data folder (`<dir>/suite.lock`, holding the owner's pid), so
/// that two suites never share one: `flock` is released by the kernel when the holder dies, so a
/// crashed suite never leaves the folder locked.
public final class DataDirectoryLock: Sendable {
    /// The lock file's descriptor; closing it releases the lock.
    private let descriptor: Int32

    /// Takes the lock, creating the folder when missing; throws `LauncherError` naming the pid
    /// that holds it.
    public init(directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("suite.lock").path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw LauncherError("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = read(fd, &buffer, buffer.count)
            close(fd)
            let owner = String(decoding: buffer.prefix(max(0, count)), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw LauncherError("\(directory.path) is in use by another suite\(owner.isEmpty ? "" : " (pid \(owner))")")
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, pid, pid.count, 0)
        descriptor = fd
    }

    /// Whether another suite holds the lock on `directory` now.
    public static func isHeld(directory: URL) -> Bool {
        let fd = open(directory.appendingPathComponent("suite.lock").path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return false
        }
        return true
    }

    deinit { close(descriptor) }
}

/// A launcher failure with a one-line explanation for the operator.
public struct LauncherError: Error, CustomStringConvertible {
    /// The explanation.
    public let description: String

    /// An error saying `description`.
    public init(_ description: String) {
        self.description = description
    }
}
