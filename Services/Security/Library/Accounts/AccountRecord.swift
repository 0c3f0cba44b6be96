import AccessControl
import BackofficeAPI
import Foundation
import RPC
import Storage

/// One row of `accounts`: the credential side of a user.
struct AccountRecord: Sendable {
    var userID: String
    var username: String
    var email: String
    var kind: Auth.PrincipalKind
    var displayName: String
    var passwordHash: String
    var status: Security.AccountStatus
    var failedLogins: Int
    var lockedUntilMs: Int64

    /// Whether the account may log in and authenticate.
    var isActive: Bool { status == .active }

    /// The account's lockout state under `policy`.
    func lockout(policy: AccountLockout.Policy) -> AccountLockout {
        AccountLockout(policy: policy, consecutiveFailures: failedLogins, lockedUntilMs: lockedUntilMs)
    }

    /// The comparison form of a username or email: lower-cased.
    static func key(_ text: String) -> String { text.lowercased() }

    /// The row read from `row` (a `SELECT * FROM accounts`).
    init(row: Row) throws {
        userID = try row.string("user_id")
        username = try row.string("username")
        email = try row.string("email")
        kind = Auth.PrincipalKind(rawValue: Int32(try row.int64("kind")))
        displayName = try row.string("display_name")
        passwordHash = try row.string("password_hash")
        status = Security.AccountStatus(rawValue: Int32(try row.int64("status")))
        failedLogins = try row.int("failed_logins")
        lockedUntilMs = try row.int64("locked_until_ms")
    }

    /// The account with id `userID`, if any.
    static func load(_ userID: String, in db: DatabaseConnection) throws -> AccountRecord? {
        try db.queryOne("SELECT * FROM accounts WHERE user_id = ?", [.text(userID)]).map(AccountRecord.init(row:))
    }

    /// The account with id `userID`, or NOT_FOUND.
    static func require(_ userID: String, in db: DatabaseConnection) throws -> AccountRecord {
        guard let account = try load(userID, in: db) else { throw RPCError(.notFound, "no account \(userID)") }
        return account
    }

    /// The account a login names: by email when it contains `@`, else by username (both ignoring case).
    static func find(login: String, in db: DatabaseConnection) throws -> AccountRecord? {
        let column = login.contains("@") ? "email_key" : "username_key"
        return try db.queryOne("SELECT * FROM accounts WHERE \(column) = ?", [.text(key(login))]).map(
            AccountRecord.init(row:))
    }

    /// The principal this account authenticates as, with its roles expanded.
    func principal(sessionID: String, expiresAtMs: Int64, in db: DatabaseConnection) throws -> Auth.Principal {
        let roles = try RoleDirectory.roles(ofAccount: userID, in: db)
        var principal = Auth.Principal()
        principal.subjectId = userID
        principal.kind = kind
        principal.roles = roles
        principal.permissions = try RoleDirectory.permissions(ofRoles: roles, in: db).map(\.rawValue).sorted()
        principal.sessionId = sessionID
        principal.expiresAtUnixMs = expiresAtMs
        principal.displayName = displayName.isEmpty ? username : displayName
        return principal
    }
}

/// The rule that the suite always keeps one active administrator.
enum LastAdminGuard {
    /// Throws FAILED_PRECONDITION when `userID` is an active holder of the admin role and no
    /// other active account holds it: `action` ("deactivate", ...) would leave no admin.
    static func ensureNotLastAdmin(_ userID: String, action: String, in db: DatabaseConnection) throws {
        let admin = BuiltInRole.admin.rawValue
        let isActiveAdmin =
            try db.queryOne(
                """
                SELECT 1 AS yes FROM account_roles r JOIN accounts a ON a.user_id = r.user_id
                WHERE r.user_id = ? AND r.role = ? AND a.status = ?
                """, [.text(userID), .text(admin), .integer(Int64(Security.AccountStatus.active.rawValue))]) != nil
        guard isActiveAdmin else { return }
        let others =
            try db.queryOne(
                """
                SELECT count(*) AS n FROM account_roles r JOIN accounts a ON a.user_id = r.user_id
                WHERE r.role = ? AND a.status = ? AND r.user_id != ?
                """, [.text(admin), .integer(Int64(Security.AccountStatus.active.rawValue)), .text(userID)])?.int("n") ?? 0
        if others == 0 {
            throw RPCError(.failedPrecondition, "cannot \(action) \(userID): it is the last active admin")
        }
    }
}
