// `backoffice-bench security-login`: login throughput of a running backoffice-security (see
// Scripts/bench-security.sh), plus Authenticate beside it and the cost of one Argon2id hash here.
import BackofficeAPI
import Crypto
import Foundation
import RPC
import ServiceRuntime

/// Drives Login (and Authenticate) against a security service started with `--internal-key`.
enum SecurityBenchmark {
    static let usage = """
          backoffice-bench security-login HOST PORT INTERNAL_KEY_HEX SECONDS_PER_ROW
              Creates a benchmark account on the security service at HOST:PORT (signing as a service
              with the internal key), then runs closed-loop Login calls at concurrency 1, 2, 4 and 16,
              Authenticate calls at 16 alone and again beside 16 Login calls, SECONDS_PER_ROW each,
              and prints a table (calls/s, p50, p99, errors) and the cost of one Argon2id hash with
              PasswordHasher's defaults.
        """

    static let password = "steady throughput 2026 passphrase"

    static func run(host: String, port: Int, keyHex: String, seconds: Double) async throws {
        let signer = PrincipalSigner(key: try SecretKey(hex: keyHex))
        let client = RPCClient(target: SocketAddress(host: host, port: port))
        defer { Task { await client.close() } }
        let service = Auth.Principal.service(named: "backoffice-bench")

        var create = Security.CreateAccountRequest()
        create.userId = "u_bench"
        create.username = "bench"
        create.email = "bench@example.com"
        create.kind = .staff
        create.password = password
        do {
            _ = try await Security.AccountsClient(channel: client).createAccount(
                create, options: .forwarding(service, method: Security.AccountsService.createAccount, signer: signer))
        } catch let error as RPCError where error.code == .alreadyExists {}

        @Sendable func login() async throws -> String {
            var request = Security.LoginRequest()
            request.login = "bench"
            request.password = password
            return try await Security.SessionsClient(channel: client).login(
                request, options: .forwarding(.anonymous, method: Security.SessionsService.login, signer: signer)
            ).token
        }
        let token = try await login()

        print("| call | concurrency | calls/s | p50 ms | p99 ms | errors |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for concurrency in [1, 2, 4, 16] {
            let row = try await measure(concurrency: concurrency, seconds: seconds) { _ = try await login() }
            print(row.line(call: "Login", concurrency: concurrency))
        }
        @Sendable func authenticate() async throws {
            var request = Security.AuthenticateRequest()
            request.credential = token
            _ = try await Security.AuthenticationClient(channel: client).authenticate(
                request, options: .forwarding(service, method: Security.AuthenticationService.authenticate, signer: signer))
        }
        print(try await measure(concurrency: 16, seconds: seconds, authenticate).line(call: "Authenticate", concurrency: 16))
        // The same cheap call while 16 logins keep the hashing threads on every core busy: how long
        // it waits for a core that Argon2 holds.
        async let burst = measure(concurrency: 16, seconds: seconds) { _ = try await login() }
        let beside = try await measure(concurrency: 16, seconds: seconds, authenticate)
        _ = try await burst
        print(beside.line(call: "Authenticate beside 16 logins", concurrency: 16))

        let hasher = PasswordHasher()
        var costs: [Double] = []
        for _ in 0..<5 {
            let started = DispatchTime.now().uptimeNanoseconds
            _ = try hasher.hash(password)
            costs.append(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6)
        }
        costs.sort()
        print(
            String(
                format: "\nArgon2id %@: one hash %.0f ms (median of 5 here, min %.0f, max %.0f)",
                hasher.parameters.description, costs[2], costs[0], costs[4]))
    }

    /// Calls, latencies and errors of one row.
    struct Row {
        var latenciesMs: [Double]
        var errors: Int
        var seconds: Double

        func line(call: String, concurrency: Int) -> String {
            let sorted = latenciesMs.sorted()
            func percentile(_ p: Double) -> Double {
                sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
            }
            return String(
                format: "| %@ | %d | %.1f | %.1f | %.1f | %d |", call, concurrency, Double(sorted.count) / seconds,
                percentile(0.5), percentile(0.99), errors)
        }
    }

    /// Runs `call` in `concurrency` closed loops for `seconds`.
    static func measure(concurrency: Int, seconds: Double, _ call: @escaping @Sendable () async throws -> Void) async throws -> Row {
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9)
        let started = DispatchTime.now().uptimeNanoseconds
        let results = await withTaskGroup(of: ([Double], Int).self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var latencies: [Double] = []
                    var errors = 0
                    while DispatchTime.now().uptimeNanoseconds < deadline {
                        let start = DispatchTime.now().uptimeNanoseconds
                        do {
                            try await call()
                            latencies.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
                        } catch {
                            errors += 1
                        }
                    }
                    return (latencies, errors)
                }
            }
            var all: [([Double], Int)] = []
            for await result in group { all.append(result) }
            return all
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        return Row(latenciesMs: results.flatMap(\.0), errors: results.map(\.1).reduce(0, +), seconds: elapsed)
    }
}
