import Crypto
import RPC
import ServiceRuntime

/// Gives an empty suite exactly one administrator on its first start.
///
/// `prepare()` runs before the server accepts calls: in one transaction it decides whether a
/// bootstrap is due (none recorded and no account in the database) and reserves the pending
/// administrator row and the `bootstrap` record with the id to use. `run(id:)` then creates the
/// credential in the security service (signed as `backoffice-users` itself, since no call is
/// being served), retrying with bounded back-off while security is not up, without holding up
/// the server.
///
/// Crash safety: the id is recorded before security is called, so a restart resumes with the
/// same id. If security answers ALREADY_EXISTS, a previous attempt created the credential but
/// crashed before recording success (so its password was possibly never shown): that credential
/// is deleted and created again with a new password. The password line is printed after security
/// accepted it and before the bootstrap is recorded as done: a crash in between prints a new
/// password on the next start (the old one no longer works), never none.
public struct AdminBootstrap: Sendable {
    /// The accounts table (bootstrap state, the administrator's row).
    public let store: UserStore
    /// Where the credential is created.
    public let security: SecurityAccounts
    /// The administrator's email address.
    public let email: String
    /// The password from `BACKOFFICE_ADMIN_PASSWORD`; nil generates one and prints it.
    public let configuredPassword: String?
    /// Writes the `ADMIN PASSWORD <password>` line (standard output in the executable).
    public let announce: @Sendable (String) -> Void
    /// Delays between attempts while security cannot be reached.
    public let retryDelays: [Duration]
    /// Logs progress (never the password).
    public let logger: Logger

    /// The administrator's username.
    public static let username = "admin"
    /// The role granted.
    public static let role = "admin"
    /// The environment variable holding a chosen password.
    public static let passwordVariable = "BACKOFFICE_ADMIN_PASSWORD"
    /// Back-off from 200 ms doubling to 5 s, about five minutes in all.
    public static let defaultRetryDelays: [Duration] =
        (0..<6).map { .milliseconds(200 << $0) } + Array(repeating: .seconds(5), count: 56)

    /// A bootstrap with its collaborators.
    public init(
        store: UserStore, security: SecurityAccounts, email: String, configuredPassword: String?,
        announce: @escaping @Sendable (String) -> Void, retryDelays: [Duration] = AdminBootstrap.defaultRetryDelays,
        logger: Logger
    ) {
        self.store = store
        self.security = security
        self.email = email
        self.configuredPassword = configuredPassword.flatMap { $0.isEmpty ? nil : $0 }
        self.announce = announce
        self.retryDelays = retryDelays
        self.logger = logger
    }

    /// The administrator's profile.
    public var profile: Profile {
        Profile(username: Self.username, email: email, displayName: "Administrator")
    }

    /// The id of the administrator still to create, or nil when no bootstrap is due.
    public func prepare() async throws -> String? {
        let violations = ProfileValidation.emailViolations(email, field: "admin-email")
        guard violations.isEmpty else { throw RPCError.invalidArgument(violations) }
        return try await store.prepareBootstrap(administrator: profile)
    }

    /// How a bootstrap ended.
    public enum Outcome: Sendable, Equatable {
        case created
        /// Security refused for good (password policy, a foreign `admin` account); logged.
        case refused(String)
        /// Security stayed unreachable through every retry; the next start tries again.
        case gaveUp
    }

    /// Creates the credential of administrator `id`, retrying while security is unreachable.
    @discardableResult
    public func run(id: String) async -> Outcome {
        var attempt = 0
        var recreated = false
        while true {
            attempt += 1
            let password = configuredPassword ?? Self.generatePassword(avoiding: [Self.username, email])
            let record = UserRecord(id: id, kind: .staff, profile: profile, status: .pending, createdAtUnixMs: 0, updatedAtUnixMs: 0)
            do {
                try await security.createAccount(for: record, password: password, roles: [Self.role])
                if configuredPassword == nil { announce("ADMIN PASSWORD \(password)") }
                try await store.completeBootstrap(id: id)
                logger.info("administrator created", ["user_id": id, "username": Self.username, "email": email])
                return .created
            } catch let error as RPCError where error.code == .alreadyExists && !recreated {
                logger.warn(
                    "security already has the administrator from an interrupted bootstrap: creating it again",
                    ["user_id": id])
                recreated = true
                do {
                    try await security.deleteAccount(id: id)
                    continue
                } catch {
                    logger.warn("cannot delete the old administrator credential", ["error": String(describing: error)])
                }
            } catch let error as RPCError where SecurityAccounts.certainlyChangedNothing(error) {
                logger.error(
                    "the security service refused to create the administrator; no administrator was created",
                    ["error": error.description])
                return .refused(error.description)
            } catch {
                logger.warn(
                    "cannot create the administrator yet", ["attempt": attempt, "error": String(describing: error)])
            }
            guard attempt <= retryDelays.count else {
                logger.error("gave up creating the administrator; the next start tries again", ["attempts": attempt])
                return .gaveUp
            }
            do {
                try await Task.sleep(for: retryDelays[attempt - 1])
            } catch {
                return .gaveUp
            }
        }
    }

    /// A random 20-character password of letters and digits (about 119 bits): long enough for the
    /// policy, not common, and free of the username and email.
    /// `avoiding` lists the account's username and email.
    public static func generatePassword(avoiding identifiers: [String] = []) -> String {
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789")
        let forbidden = identifiers.map { $0.lowercased().split(separator: "@").first.map(String.init) ?? "" }
            .filter { $0.count >= 3 }
        while true {
            let password = String((0..<20).map { _ in alphabet[Int(SecureRandom.uniform(UInt32(alphabet.count)))] })
            if !forbidden.contains(where: password.lowercased().contains) { return password }
        }
    }
}
