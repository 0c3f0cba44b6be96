import AccessControl
import BackofficeAPI
import RPC
import Storage

extension SecurityCore {
    /// Creates the credential of a new account (see `Accounts.CreateAccount`). Roles other than
    /// `customer` need a caller holding every permission they grant (services are trusted).
    public func createAccount(
        _ request: Security.CreateAccountRequest, caller: Auth.Principal?
    ) async throws -> Security.CreateAccountResponse {
        var checks = FieldChecks()
        checks.identifier(request.userId, "user_id")
        checks.require(request.username, "username", maxLength: FieldChecks.usernameLength)
        checks.require(request.email, "email", maxLength: FieldChecks.emailLength)
        if !request.email.isEmpty, !request.email.contains("@") { checks.add("email", "must contain @") }
        if !request.username.isEmpty, request.username.contains("@") { checks.add("username", "must not contain @") }
        checks.limit(request.displayName, "display_name", maxLength: FieldChecks.displayNameLength)
        if request.kind != .staff, request.kind != .customer { checks.add("kind", "must be STAFF or CUSTOMER") }
        for violation in passwordPolicy.violations(of: request.password, username: request.username, email: request.email) {
            checks.add(violation.field, violation.description)
        }
        // Customers created without roles get the customer role, as the contract says.
        let requested = request.roles.isEmpty && request.kind == .customer ? [BuiltInRole.customer.rawValue] : request.roles
        let roles = Array(Set(requested)).sorted()
        for (index, role) in request.roles.enumerated() where role.isEmpty || role.count > RoleRules.maxNameLength {
            checks.add("roles[\(index)]", "must be a role name")
        }
        try checks.throwIfAny()

        let granted = try await database.read { db in
            for role in roles where try !RoleDirectory.exists(role, in: db) {
                throw RPCError.invalidArgument([FieldViolation(field: "roles", description: "no role named \(role)")])
            }
            try Self.ensureAccountIsNew(request, in: db)
            return try RoleDirectory.permissions(ofRoles: roles, in: db)
        }
        if roles.contains(where: { $0 != BuiltInRole.customer.rawValue }) {
            try Caller.ensureCanGrant(granted, caller: try Caller.require(caller), what: "roles \(roles.joined(separator: ", "))")
        }

        let hash = try await hashPassword(request.password)
        let time = nowMs
        try await database.write { db in
            try Self.ensureAccountIsNew(request, in: db)
            try db.execute(
                """
                INSERT INTO accounts (user_id, username, username_key, email, email_key, kind, display_name,
                    password_hash, status, created_at_ms, updated_at_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(request.userId), .text(request.username), .text(AccountRecord.key(request.username)),
                    .text(request.email), .text(AccountRecord.key(request.email)), .integer(Int64(request.kind.rawValue)),
                    .text(request.displayName), .text(hash), .integer(Int64(Security.AccountStatus.active.rawValue)),
                    .integer(time), .integer(time),
                ])
            for role in roles {
                try db.execute("INSERT INTO account_roles (user_id, role) VALUES (?, ?)", [.text(request.userId), .text(role)])
            }
        }
        return Security.CreateAccountResponse()
    }

    /// ALREADY_EXISTS naming what is taken: the user id, the username or the email (ignoring case).
    private static func ensureAccountIsNew(_ request: Security.CreateAccountRequest, in db: DatabaseConnection) throws {
        if try AccountRecord.load(request.userId, in: db) != nil {
            throw RPCError(.alreadyExists, "an account with user id \(request.userId) already exists")
        }
        try ensureUnique(username: request.username, email: request.email, except: nil, in: db)
    }

    /// ALREADY_EXISTS when another account than `except` has this username or email.
    private static func ensureUnique(username: String, email: String, except: String?, in db: DatabaseConnection) throws {
        let owner = { (column: String, value: String) throws -> String? in
            try db.queryOne("SELECT user_id FROM accounts WHERE \(column) = ?", [.text(AccountRecord.key(value))])?
                .string("user_id")
        }
        if !username.isEmpty, let other = try owner("username_key", username), other != except {
            throw RPCError(.alreadyExists, "the username is already taken")
        }
        if !email.isEmpty, let other = try owner("email_key", email), other != except {
            throw RPCError(.alreadyExists, "the email is already in use")
        }
    }

    /// Changes the username, email or display name of an account (empty fields are kept; the
    /// display name is removed with `clear_display_name`).
    public func updateAccount(_ request: Security.UpdateAccountRequest) async throws -> Security.UpdateAccountResponse {
        var checks = FieldChecks()
        checks.identifier(request.userId, "user_id")
        checks.limit(request.username, "username", maxLength: FieldChecks.usernameLength)
        checks.limit(request.email, "email", maxLength: FieldChecks.emailLength)
        checks.limit(request.displayName, "display_name", maxLength: FieldChecks.displayNameLength)
        if !request.email.isEmpty, !request.email.contains("@") { checks.add("email", "must contain @") }
        if request.username.contains("@") { checks.add("username", "must not contain @") }
        if request.clearDisplayName && !request.displayName.isEmpty {
            checks.add("display_name", "must be empty when clear_display_name is set")
        }
        try checks.throwIfAny()
        let time = nowMs
        try await database.write { db in
            var account = try AccountRecord.require(request.userId, in: db)
            try Self.ensureUnique(username: request.username, email: request.email, except: account.userID, in: db)
            if !request.username.isEmpty { account.username = request.username }
            if !request.email.isEmpty { account.email = request.email }
            if !request.displayName.isEmpty || request.clearDisplayName { account.displayName = request.displayName }
            try db.execute(
                """
                UPDATE accounts SET username = ?, username_key = ?, email = ?, email_key = ?, display_name = ?,
                    updated_at_ms = ?
                WHERE user_id = ?
                """,
                [
                    .text(account.username), .text(AccountRecord.key(account.username)), .text(account.email),
                    .text(AccountRecord.key(account.email)), .text(account.displayName), .integer(time),
                    .text(account.userID),
                ])
        }
        return Security.UpdateAccountResponse()
    }

    /// Deactivates an account (revoking its sessions; its API keys stop working) or reactivates it.
    /// FAILED_PRECONDITION when deactivating the last active admin.
    public func setAccountStatus(
        _ request: Security.SetAccountStatusRequest, caller: Auth.Principal?
    ) async throws -> Security.SetAccountStatusResponse {
        var checks = FieldChecks()
        checks.identifier(request.userId, "user_id")
        if request.status != .active, request.status != .deactivated { checks.add("status", "must be ACTIVE or DEACTIVATED") }
        try checks.throwIfAny()
        let time = nowMs
        let revoked = try await database.write { db -> Int in
            let account = try AccountRecord.require(request.userId, in: db)
            guard account.status != request.status else { return 0 }
            var revoked = 0
            if request.status == .deactivated {
                try LastAdminGuard.ensureNotLastAdmin(account.userID, action: "deactivate", in: db)
                revoked = try db.execute("DELETE FROM sessions WHERE user_id = ?", [.text(account.userID)]).changes
            }
            try db.execute(
                "UPDATE accounts SET status = ?, updated_at_ms = ? WHERE user_id = ?",
                [.integer(Int64(request.status.rawValue)), .integer(time), .text(account.userID)])
            try SecurityEventLog.record(
                SecurityEventDraft(
                    kind: request.status == .deactivated ? .accountDeactivated : .accountReactivated, userID: account.userID,
                    actor: caller?.subjectId ?? "", detail: revoked > 0 ? "\(revoked) sessions revoked" : ""),
                atMs: time, in: db)
            return revoked
        }
        var response = Security.SetAccountStatusResponse()
        response.sessionsRevoked = Int32(clamping: revoked)
        return response
    }

    /// Removes an account's credential, sessions, roles and API keys. Deleting an unknown account
    /// succeeds (erasure is idempotent); the last active admin cannot be deleted.
    public func deleteAccount(_ request: Security.DeleteAccountRequest) async throws -> Security.DeleteAccountResponse {
        var checks = FieldChecks()
        checks.identifier(request.userId, "user_id")
        try checks.throwIfAny()
        try await database.write { db in
            try LastAdminGuard.ensureNotLastAdmin(request.userId, action: "delete", in: db)
            try db.execute("DELETE FROM accounts WHERE user_id = ?", [.text(request.userId)])
        }
        return Security.DeleteAccountResponse()
    }

    /// The roles of the requested accounts, and the holders of one role.
    public func listAccountRoles(_ request: Security.ListAccountRolesRequest) async throws -> Security.ListAccountRolesResponse {
        var checks = FieldChecks()
        if request.userIds.count > 1000 { checks.add("user_ids", "must hold at most 1000 ids") }
        checks.limit(request.holdersOfRole, "holders_of_role", maxLength: RoleRules.maxNameLength)
        try checks.throwIfAny()
        return try await database.read { db in
            var response = Security.ListAccountRolesResponse()
            for userID in Set(request.userIds) {
                let roles = try RoleDirectory.roles(ofAccount: userID, in: db)
                if !roles.isEmpty {
                    var list = Security.RoleList()
                    list.roles = roles
                    response.roles[userID] = list
                }
            }
            if !request.holdersOfRole.isEmpty {
                response.holders = try db.query(
                    "SELECT user_id FROM account_roles WHERE role = ? ORDER BY user_id", [.text(request.holdersOfRole)]
                ).map { try $0.string("user_id") }
            }
            return response
        }
    }
}
