import Crypto
import Foundation
import RPC
import Storage

/// The security service's state and rules, shared by every handler: the database, the password
/// hashing pool, the policies (password, session, lockout, throttle), the token and API-key
/// hashers keyed with the server secret, and the clock.
///
/// The operations live in extensions by capability (`SecurityCore+Accounts.swift`, `+Login`,
/// `+Authenticate`, ...). They take the generated request messages and the caller
/// (`context.principal`, nil in development mode) and throw `RPCError`s, so the providers that
/// serve them stay thin and tests can drive them without a network.
public final class SecurityCore: Sendable {
    /// How the core is set up; the defaults are production's.
    public struct Configuration: Sendable {
        /// The Argon2id hasher (default: `PasswordHasher.Parameters.interactive`).
        public var hasher: PasswordHasher
        /// Workers and queue of the hashing pool.
        public var hashingPool: PasswordHashingPool.Configuration
        /// Password length, common list, username and email rules.
        public var passwordPolicy: PasswordPolicy
        /// Absolute and idle expiry of sessions.
        public var sessionPolicy: SessionPolicy
        /// Failures before an account locks, and for how long.
        public var lockoutPolicy: AccountLockout.Policy
        /// Failed logins allowed per client address.
        public var throttlePolicy: LoginThrottle.Policy
        /// The clock every expiry, lockout and event time is read from.
        public var now: @Sendable () -> Date

        /// A configuration (production defaults unless given).
        public init(
            hasher: PasswordHasher = PasswordHasher(),
            hashingPool: PasswordHashingPool.Configuration = PasswordHashingPool.Configuration(),
            passwordPolicy: PasswordPolicy = PasswordPolicy(), sessionPolicy: SessionPolicy = SessionPolicy(),
            lockoutPolicy: AccountLockout.Policy = AccountLockout.Policy(),
            throttlePolicy: LoginThrottle.Policy = LoginThrottle.Policy(),
            now: @escaping @Sendable () -> Date = { Date() }
        ) {
            self.hasher = hasher
            self.hashingPool = hashingPool
            self.passwordPolicy = passwordPolicy
            self.sessionPolicy = sessionPolicy
            self.lockoutPolicy = lockoutPolicy
            self.throttlePolicy = throttlePolicy
            self.now = now
        }
    }

    /// The longest API key lifetime accepted: one year.
    public static let maximumApiKeyLifetime: TimeInterval = 366 * 24 * 3600
    /// The most an Authenticate answer may be cached, in milliseconds.
    public static let maximumCacheMillis: Int64 = 1000

    /// The database (`SecuritySchema.migrations`).
    public let database: Database
    /// Runs every Argon2id hash and verification, bounded.
    public let hashing: PasswordHashingPool
    /// The settings the core was made with.
    public let configuration: Configuration
    let tokens: SessionTokens
    let apiKeys: ApiKeys
    /// Lockouts of login names that match no account, so that locking does not reveal which
    /// accounts exist (accounts keep theirs in their row).
    let unknownLogins: UnknownLoginLockouts
    let throttle: LoginThrottleTable

    /// A core over an open `database` whose token keys derive from `serverSecret`.
    public init(database: Database, serverSecret: SecretKey, configuration: Configuration = Configuration()) {
        self.database = database
        self.configuration = configuration
        self.hashing = PasswordHashingPool(hasher: configuration.hasher, configuration: configuration.hashingPool)
        self.tokens = SessionTokens(secret: serverSecret)
        self.apiKeys = ApiKeys(secret: serverSecret)
        self.unknownLogins = UnknownLoginLockouts(policy: configuration.lockoutPolicy)
        self.throttle = LoginThrottleTable(policy: configuration.throttlePolicy, now: configuration.now)
    }

    /// Opens (creating and migrating when needed) the database at `path`, loads its server
    /// secret (made at random on first start and kept in the database, so tokens stay valid
    /// across restarts) and returns the core over it.
    public static func open(path: String, configuration: Configuration = Configuration()) async throws -> SecurityCore {
        let database = try await Database.open(path: path, migrations: SecuritySchema.migrations)
        return SecurityCore(
            database: database, serverSecret: try await serverSecret(in: database), configuration: configuration)
    }

    /// The database's token key: the stored one, or a new random one stored now.
    static func serverSecret(in database: Database) async throws -> SecretKey {
        let fresh = SecureRandom.bytes(SecretKey.byteCount)
        let bytes = try await database.write { db in
            try db.execute(
                "INSERT OR IGNORE INTO security_settings (name, value) VALUES ('token_key', ?)", [.blob(fresh)])
            return try db.queryOne("SELECT value FROM security_settings WHERE name = 'token_key'")?.blob("value") ?? fresh
        }
        return try SecretKey(bytes: bytes)
    }

    /// The password policy in force.
    public var passwordPolicy: PasswordPolicy { configuration.passwordPolicy }
    /// The session policy in force.
    public var sessionPolicy: SessionPolicy { configuration.sessionPolicy }

    /// The current time.
    var now: Date { configuration.now() }
    /// The current time in Unix milliseconds.
    var nowMs: Int64 { now.unixMs }

    /// Hashes `password` on the pool.
    func hashPassword(_ password: String) async throws -> String {
        try await hashing.hash(password)
    }
}

extension Date {
    /// Milliseconds since the Unix epoch, rounded down.
    var unixMs: Int64 { Int64((timeIntervalSince1970 * 1000).rounded(.down)) }

    /// The date `milliseconds` after the Unix epoch.
    init(unixMs milliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}
