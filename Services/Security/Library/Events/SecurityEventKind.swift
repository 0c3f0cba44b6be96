/// What happened, as recorded in `security_events.kind`.
public enum SecurityEventKind: String, Sendable, CaseIterable {
    /// A login with a wrong password, for an unknown name, or for a deactivated account.
    case loginFailed = "login_failed"
    /// The failure that locked an account (or an unknown name).
    case accountLocked = "account_locked"
    /// A login refused because the account (or name) is locked.
    case loginRefusedLocked = "login_refused_locked"
    /// A client address ran out of failed-login allowance.
    case loginThrottled = "login_throttled"
    /// An administrator cleared a lock.
    case accountUnlocked = "account_unlocked"
    /// An account changed its own password.
    case passwordChanged = "password_changed"
    /// A password change with a wrong current password.
    case passwordChangeFailed = "password_change_failed"
    /// An administrator set an account's password.
    case passwordReset = "password_reset"
    /// An account was deactivated (its sessions revoked).
    case accountDeactivated = "account_deactivated"
    /// An account was reactivated.
    case accountReactivated = "account_reactivated"
    /// An administrator revoked sessions.
    case sessionsRevoked = "sessions_revoked"
}

/// One event to record.
struct SecurityEventDraft: Sendable {
    var kind: SecurityEventKind
    var userID = ""
    var login = ""
    var clientAddress = ""
    var actor = ""
    var detail = ""
}
