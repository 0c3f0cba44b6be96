import Foundation
import Glibc
import Processes
import Synchronization

/// Runs a suite: starts every process of a `SuitePlan`, relays each output line prefixed with
/// the process's name, restarts a process that dies (with growing back-off, and says so), and
/// stops everything cleanly: the gateway first, so no new call reaches a stopping service.
public final class SuiteLauncher: Sendable {
    /// What the launcher runs.
    public let plan: SuitePlan
    /// Where the suite's executables are.
    public let binaryDirectory: URL
    /// The environment each process gets.
    public let environment: [String: String]
    /// Where the launcher's own lines and the relayed ones go (standard output in `backoffice up`).
    private let emit: @Sendable (String) -> Void
    private let state = Mutex(State())

    private struct State {
        var stopping = false
        var children: [String: ChildProcess] = [:]
        var gatewayListening: String?
        /// The processes that have said they listen (at least once).
        var listening: Set<String> = []
    }

    /// Restart delays: 0.25 s doubling to 30 s; a process that ran a minute starts again from 0.25 s.
    public static func restartDelay(afterFailures failures: Int) -> Duration {
        .milliseconds(min(30_000, 250 << min(max(failures - 1, 0), 7)))
    }

    /// A launcher for `plan`, finding executables in `binaryDirectory`.
    public init(
        plan: SuitePlan, binaryDirectory: URL, environment: [String: String],
        emit: @escaping @Sendable (String) -> Void
    ) {
        self.plan = plan
        self.binaryDirectory = binaryDirectory
        self.environment = environment
        self.emit = emit
    }

    /// The gateway's address once it has said it listens.
    public var gatewayListening: String? { state.withLock { $0.gatewayListening } }

    /// The pids of the processes running now, by name.
    public var pids: [String: Int32] { state.withLock { $0.children.mapValues(\.pid) } }

    /// Starts every process and keeps them running until `stop()`; returns once all have exited.
    ///
    /// The services start first, all at once; the gateway (the plan's last member) starts once
    /// they all listen (or after `servicesGrace`), so that its first health checks find them up.
    public func run(servicesGrace: Duration = .seconds(15)) async {
        let width = plan.members.map(\.name.count).max() ?? 0
        func prefix(_ member: SuitePlan.Member) -> String {
            member.name.padding(toLength: width, withPad: " ", startingAt: 0) + " | "
        }
        let services = plan.members.dropLast()
        await withTaskGroup(of: Void.self) { group in
            for member in services {
                group.addTask { await self.supervise(member, prefix: prefix(member)) }
            }
            let names = Set(services.map(\.name))
            let end = ContinuousClock.now + servicesGrace
            while ContinuousClock.now < end, !state.withLock({ names.isSubset(of: $0.listening) || $0.stopping }) {
                try? await Task.sleep(for: .milliseconds(10))
            }
            if let gateway = plan.members.last {
                group.addTask { await self.supervise(gateway, prefix: prefix(gateway)) }
            }
        }
    }

    /// Keeps one process running: start, wait for its exit, restart after a delay unless stopping.
    private func supervise(_ member: SuitePlan.Member, prefix: String) async {
        var failures = 0
        while !state.withLock({ $0.stopping }) {
            let started = ContinuousClock.now
            let child: ChildProcess
            do {
                child = try ChildProcess(
                    executable: binaryDirectory.appendingPathComponent(member.executable).path,
                    arguments: member.arguments, environment: environment.merging(member.environment) { _, own in own },
                    output: .lines { [self] line, isError in relay(line, from: member, prefix: prefix, isError: isError) })
            } catch {
                emit("backoffice: cannot start \(member.name): \(error)")
                failures += 1
                await pause(Self.restartDelay(afterFailures: failures))
                continue
            }
            let stoppedMeanwhile = state.withLock { state in
                state.children[member.name] = child
                return state.stopping
            }
            if stoppedMeanwhile { child.signal(SIGTERM) }
            var status = child.exitCode
            while status == nil {
                try? await Task.sleep(for: .milliseconds(50))
                status = child.exitCode
            }
            state.withLock { _ = $0.children.removeValue(forKey: member.name) }
            if state.withLock({ $0.stopping }) { break }
            if ContinuousClock.now - started > .seconds(60) { failures = 0 }
            failures += 1
            let delay = Self.restartDelay(afterFailures: failures)
            emit("backoffice: \(member.name) exited (\(Self.describe(status ?? -1))); restarting in \(Self.seconds(delay))")
            await pause(delay)
        }
    }

    /// Sleeps for `delay`, waking early when the suite is stopping.
    private func pause(_ delay: Duration) async {
        let end = ContinuousClock.now + delay
        while ContinuousClock.now < end, !state.withLock({ $0.stopping }) {
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    private func relay(_ line: String, from member: SuitePlan.Member, prefix: String, isError: Bool) {
        if !isError, line.hasPrefix("ADMIN PASSWORD ") {
            let password = line.dropFirst("ADMIN PASSWORD ".count)
            emit("backoffice: first start: created the user `admin` with the password \(password) (shown only this once)")
            return
        }
        if !isError, line.hasPrefix("LISTENING ") {
            state.withLock { _ = $0.listening.insert(member.name) }
        }
        if !isError, member.name == "gateway", line.hasPrefix("LISTENING ") {
            let address = String(line.dropFirst("LISTENING ".count))
            state.withLock { $0.gatewayListening = address }
            emit("backoffice: the gateway listens on \(address)")
            return
        }
        emit(prefix + line)
    }

    /// Stops the suite: SIGTERM to the gateway, then (once it has drained, at most `grace`) to
    /// the services; SIGKILL for whatever is left after `grace` more. Returns when all are gone.
    public func stop(grace: Duration = .seconds(10)) async {
        let children = state.withLock { state -> [String: ChildProcess] in
            state.stopping = true
            return state.children
        }
        if let gateway = children["gateway"] {
            gateway.signal(SIGTERM)
            await waitForExit([gateway], within: grace)
        }
        let services = children.filter { $0.key != "gateway" }.map(\.value)
        for service in services { service.signal(SIGTERM) }
        await waitForExit(services, within: grace)
        for child in children.values where child.exitCode == nil {
            emit("backoffice: killing pid \(child.pid), still running after \(Self.seconds(grace))")
            child.signal(SIGKILL)
        }
        await waitForExit(Array(children.values), within: .seconds(5))
    }

    /// Kills every process at once (a second Ctrl-C).
    public func kill() {
        let children = state.withLock { state -> [ChildProcess] in
            state.stopping = true
            return Array(state.children.values)
        }
        for child in children { child.signal(SIGKILL) }
    }

    private func waitForExit(_ children: [ChildProcess], within limit: Duration) async {
        let end = ContinuousClock.now + limit
        while ContinuousClock.now < end, children.contains(where: { $0.exitCode == nil }) {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    static func describe(_ status: Int32) -> String {
        status > 128 ? "killed by signal \(status - 128)" : "status \(status)"
    }

    static func seconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let value = Double(seconds) + Double(attoseconds) / 1e18
        return value == value.rounded() ? "\(Int(value)) s" : String(format: "%.2g s", value)
    }
}
