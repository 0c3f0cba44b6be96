import Foundation
import CSystem
import Glibc
import Synchronization

/// A child process started with `posix_spawn`, its standard output and error read through pipes
/// that this type owns and closes exactly once: kept whole (tests read them afterwards), or handed
/// over line by line (the launcher prefixes each line with the process's name) and not kept.
///
/// Foundation's `Process` and `Pipe` are avoided on purpose: a file descriptor closed twice in a
/// process that runs many sockets in parallel closes somebody else's socket.
public final class ChildProcess: Sendable {
    /// What becomes of the child's output.
    public enum Output: Sendable {
        /// Kept whole, for `standardOutput` and `standardError`.
        case capture
        /// Each complete line (without its newline) handed to the closure as it arrives, with
        /// `true` for standard error; nothing is kept.
        case lines(@Sendable (_ line: String, _ isError: Bool) -> Void)
    }

    /// The child's process id.
    public let pid: pid_t
    private let output = Mutex<(out: [UInt8], err: [UInt8])>(([], []))
    private let exitStatus = Mutex<Int32?>(nil)
    private let readers = Mutex<Int>(2)
    private let handling: Output

    /// Starts `executable` with `arguments` and `environment`; signals the child with default
    /// dispositions and an empty mask whatever this process has set.
    ///
    /// The child's standard input is `input` (then end of file) when given, else empty (`/dev/null`).
    public init(
        executable: String, arguments: [String], environment: [String: String], input: [UInt8]? = nil,
        output: Output = .capture
    ) throws {
        handling = output
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        guard csystem_pipe2(&outPipe, O_CLOEXEC) == 0, csystem_pipe2(&errPipe, O_CLOEXEC) == 0 else {
            throw ChildProcessError(message: "pipe2 failed: errno \(errno)")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // No standard input: a child never waits on (or steals) the parent's terminal or pipe.
        var inPipe: [Int32] = [-1, -1]
        if input != nil {
            guard csystem_pipe2(&inPipe, O_CLOEXEC) == 0 else {
                throw ChildProcessError(message: "pipe2 failed: errno \(errno)")
            }
            posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGTERM)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var child: pid_t = 0
        let status = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        if input != nil { close(inPipe[0]) }
        close(outPipe[1])
        close(errPipe[1])
        guard status == 0 else {
            if input != nil { close(inPipe[1]) }
            close(outPipe[0])
            close(errPipe[0])
            throw ChildProcessError(message: "cannot start \(executable): \(String(cString: strerror(status)))")
        }
        pid = child
        if let input { Self.startWriter(inPipe[1], input) }
        startReader(outPipe[0], isError: false)
        startReader(errPipe[0], isError: true)
    }

    /// Writes `bytes` to the child's standard input on a thread of its own, then closes it.
    private static func startWriter(_ fd: Int32, _ bytes: [UInt8]) {
        Thread {
            var offset = 0
            while offset < bytes.count {
                let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { break }
                offset += written
            }
            close(fd)
        }.start()
    }

    /// Reads one pipe to its end on a thread of its own, then closes it.
    private func startReader(_ fd: Int32, isError: Bool) {
        let thread = Thread { [self] in
            var chunk = [UInt8](repeating: 0, count: 4096)
            var pending: [UInt8] = []
            while true {
                let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                switch handling {
                case .capture:
                    output.withLock {
                        isError ? $0.err.append(contentsOf: chunk[0..<count]) : $0.out.append(contentsOf: chunk[0..<count])
                    }
                case .lines(let handle):
                    pending.append(contentsOf: chunk[0..<count])
                    while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                        handle(String(decoding: pending[..<newline], as: UTF8.self), isError)
                        pending.removeSubrange(...newline)
                    }
                }
            }
            if case .lines(let handle) = handling, !pending.isEmpty {
                handle(String(decoding: pending, as: UTF8.self), isError)
            }
            close(fd)
            readers.withLock { $0 -= 1 }
        }
        thread.start()
    }

    /// Everything the child wrote to standard output so far (empty when lines are handed over).
    public var standardOutput: String { String(decoding: output.withLock { $0.out }, as: UTF8.self) }
    /// Everything the child wrote to standard error so far.
    public var standardError: String { String(decoding: output.withLock { $0.err }, as: UTF8.self) }

    /// The exit status once the child has exited (128 + signal number when a signal ended it).
    public var exitCode: Int32? {
        exitStatus.withLock { stored in
            if let stored { return stored }
            var status: Int32 = 0
            guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
            let code = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
            stored = code
            return code
        }
    }

    /// Waits at most `timeout` seconds for the child to exit, without holding a thread; its
    /// status, or nil if it still runs.
    public func waitForExit(timeout: Double) async -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let code = exitCode {
                // Let the readers collect the last output.
                let drainDeadline = Date().addingTimeInterval(2)
                while readers.withLock({ $0 }) > 0 && Date() < drainDeadline { try? await Task.sleep(for: .milliseconds(1)) }
                return code
            }
            if Date() >= deadline { return nil }
            try? await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Stops the child without waiting: SIGTERM now, SIGKILL from a background thread if it is
    /// still there after 5 seconds, and the exit collected so that no zombie remains.
    public func terminate() {
        guard exitCode == nil else { return }
        signal(SIGTERM)
        let deadline = Date().addingTimeInterval(5)
        DispatchQueue.global().async { [self] in
            while exitCode == nil && Date() < deadline { usleep(5000) }
            if exitCode == nil {
                signal(SIGKILL)
                while exitCode == nil { usleep(5000) }
            }
        }
    }

    /// Sends `signal` to the child, unless it has already exited (its pid may be reused).
    public func signal(_ signal: Int32) {
        if exitCode == nil { kill(pid, signal) }
    }
}

/// A child process could not be started.
public struct ChildProcessError: Error, CustomStringConvertible {
    /// What went wrong.
    public let message: String
    public var description: String { message }

    /// An error saying `message`.
    public init(message: String) {
        self.message = message
    }
}
