import Foundation
import Storage

/// The lockouts of login names that match no account, in the `unknown_login_lockouts` table: they
/// lock after the same failures and for as long as an account (`AccountLockout`), and survive a
/// restart as an account's do, so that whether a name locks tells nothing about whether it exists.
///
/// A row is keyed by the name's comparison form (`AccountRecord.key`). A row whose lock has run out
/// is deleted (its state is then that of a name never seen), so the table holds the names locked
/// now and those a few failures short of a lock, as the accounts table does.
struct UnknownLoginLockouts: Sendable {
    /// When a name locks and for how long.
    let policy: AccountLockout.Policy

    /// The lockout of the name `loginKey` (its comparison form): a fresh one when it has no row.
    func lockout(of loginKey: String, in db: DatabaseConnection) throws -> AccountLockout {
        guard
            let row = try db.queryOne(
                "SELECT failed_logins, locked_until_ms FROM unknown_login_lockouts WHERE login_key = ?", [.text(loginKey)])
        else { return AccountLockout(policy: policy) }
        return AccountLockout(
            policy: policy, consecutiveFailures: Int(try row.int64("failed_logins")),
            lockedUntilMs: try row.int64("locked_until_ms"))
    }

    /// Records a failed login of the name at `time`, in the caller's transaction: returns
    /// `.locked` when it is (now) locked. Rows whose lock has run out by `time` go on the way.
    func recordFailure(of loginKey: String, at time: Date, in db: DatabaseConnection) throws -> AccountLockout.Status {
        var lockout = try lockout(of: loginKey, in: db)
        let status = lockout.recordFailure(at: time)
        try db.execute(
            """
            INSERT INTO unknown_login_lockouts (login_key, failed_logins, locked_until_ms) VALUES (?, ?, ?)
            ON CONFLICT (login_key) DO UPDATE SET failed_logins = excluded.failed_logins,
                locked_until_ms = excluded.locked_until_ms
            """,
            [.text(loginKey), .integer(Int64(lockout.consecutiveFailures)), .integer(lockout.lockedUntil?.unixMs ?? 0)])
        try db.execute(
            "DELETE FROM unknown_login_lockouts WHERE locked_until_ms > 0 AND locked_until_ms <= ?", [.integer(time.unixMs)])
        return status
    }
}
