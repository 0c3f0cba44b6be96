import BackofficeCLI
import Foundation
import Glibc
import Testing
import TestSupport

/// The launcher's supervision, with echo servers standing in for the suite's processes.
@Suite(.timeLimit(.minutes(1)))
struct SuiteLauncherTests {
    static func echoPlan(ports: [Int]) -> SuitePlan {
        SuitePlan(
            members: ports.enumerated().map { index, port in
                SuitePlan.Member(
                    name: "echo\(index)", executable: "backoffice-echo", port: port,
                    arguments: ["--listen", "127.0.0.1:\(port)"])
            })
    }

    /// `count` distinct ports for servers (`LoopbackPort.freeForServer`): below the kernel's
    /// ephemeral range, so no socket of a test running beside this one (a port-0 listener, an
    /// outgoing connection) can take one before an echo server binds it, or while a killed one
    /// restarts.
    static func serverPorts(_ count: Int) throws -> [Int] {
        var ports: [Int] = []
        for _ in 0..<count { ports.append(try LoopbackPort.freeForServer(excluding: Set(ports))) }
        return ports
    }

    /// Waits (bounded) until `condition` holds.
    static func eventually(_ what: String, within seconds: Double = 10, _ condition: () -> Bool) async throws {
        _ = try await TestSupport.eventually(what, within: seconds, every: .milliseconds(20)) { condition() ? true : nil }
    }

    @Test func prefixesLinesRestartsADeadProcessAndStopsAll() async throws {
        let lines = Locked<[String]>([])
        let ports = try Self.serverPorts(2)
        let launcher = SuiteLauncher(
            plan: Self.echoPlan(ports: ports), binaryDirectory: ServiceProcess.binaryDirectory,
            environment: ProcessInfo.processInfo.environment, emit: { line in lines.withLock { $0.append(line) } })
        let running = Task { await launcher.run() }
        do {
            try await Self.eventually("both to listen") {
                lines.withLock { all in ports.allSatisfy { port in all.contains { $0.contains("LISTENING 127.0.0.1:\(port)") } } }
            }
        } catch {
            // What the launcher and its processes said, to tell a slow start from a failed one.
            Issue.record("the launcher's lines so far: \(lines.withLock { $0 })")
            throw error
        }
        #expect(lines.withLock { $0.contains { $0.hasPrefix("echo0 | LISTENING") } })
        let first = try #require(launcher.pids["echo1"])
        kill(first, SIGKILL)
        try await Self.eventually("the restart") { launcher.pids["echo1"].map { $0 != first } ?? false }
        #expect(lines.withLock { $0.contains { $0.contains("echo1 exited (killed by signal 9); restarting in") } })
        try await Self.eventually("the restarted one to listen") { LoopbackPort.isListening(ports[1]) }
        let pids = launcher.pids.values
        await launcher.stop(grace: .seconds(5))
        await running.value
        for pid in pids { #expect(kill(pid, 0) != 0, "pid \(pid) still runs") }
        #expect(!ports.contains(where: LoopbackPort.isListening))
    }

    @Test func aDataFolderHasOneSuiteAtATime() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("suite-lock-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var lock: DataDirectoryLock? = try DataDirectoryLock(directory: directory)
        #expect(DataDirectoryLock.isHeld(directory: directory))
        let error = #expect(throws: LauncherError.self) { try DataDirectoryLock(directory: directory) }
        #expect(error?.description == "\(directory.path) is in use by another suite (pid \(getpid()))")
        withExtendedLifetime(lock) {}
        lock = nil
        // Released with its descriptor. (A process that other tests spawn at this very moment
        // holds a copy of every descriptor until its exec closes it: hence the short wait.)
        let again = try await TestSupport.eventually("the lock again", within: 5, every: .milliseconds(20)) {
            try? DataDirectoryLock(directory: directory)
        }
        #expect(DataDirectoryLock.isHeld(directory: directory))
        withExtendedLifetime(again) {}
    }

    @Test func aPortIsFreeUntilASocketHoldsIt() throws {
        let holder = try RawListener(accepting: false)
        #expect(!LoopbackPort.isFree(holder.address.port))
        // Not port numbers: neither free nor listened on (and no trap converting them).
        for notAPort in [0, -1, 65536, Int.max] {
            #expect(!LoopbackPort.isFree(notAPort) && !LoopbackPort.isListening(notAPort), "\(notAPort)")
        }
        let chosen = try Self.serverPorts(3)
        #expect(Set(chosen).count == 3)
        #expect(chosen.allSatisfy { $0 >= 10_000 && $0 < LoopbackPort.ephemeralRangeStart && LoopbackPort.isFree($0) })
    }

    @Test func aServerPortIsOneNotHandedOutAndFallsBackToTheKernelsChoice() throws {
        let holder = try RawListener(accepting: false)
        let held = holder.address.port
        // The only candidate is taken: the kernel picks one (from its ephemeral range).
        let fallback = try LoopbackPort.freeForServer(candidates: held..<(held + 1), tries: 5)
        #expect(fallback != held && LoopbackPort.isFree(fallback))
        // A free candidate that was handed out already is not handed out again.
        let free = try LoopbackPort.freeForServer()
        let other = try LoopbackPort.freeForServer(excluding: [free], candidates: free..<(free + 1), tries: 5)
        #expect(other != free)
        #expect(try LoopbackPort.freeForServer(candidates: free..<(free + 1), tries: 5) == free)
    }

    @Test func restartDelaysGrowAndAreCapped() {
        let delays = (1...10).map(SuiteLauncher.restartDelay(afterFailures:))
        #expect(Array(delays.prefix(4)) == [.milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2)])
        #expect(delays.last == .seconds(30))
    }
}
