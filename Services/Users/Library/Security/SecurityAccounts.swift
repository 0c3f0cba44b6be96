import BackofficeAPI
import RPC

/// The users service's side of the security service's `Accounts`: typed calls with a time limit,
/// and errors translated for the users service's callers.
///
/// The channel is normally a `SigningChannel`, so a call made while serving a request carries
/// that request's principal (the security service checks, for instance, that an administrator
/// creating staff holds every permission of the roles granted), and a call made outside any
/// request (bootstrap, repairs) is signed as `backoffice-users` itself.
public struct SecurityAccounts: Sendable {
    /// The generated client.
    public let client: Security.AccountsClient
    /// The time each call may take.
    public let timeout: Duration

    /// Calls over `channel`, each limited to `timeout`.
    public init(channel: any RPCChannel, timeout: Duration = .seconds(5)) {
        self.client = Security.AccountsClient(channel: channel)
        self.timeout = timeout
    }

    private var options: CallOptions { CallOptions(timeout: timeout) }

    /// Creates the credential of `record` with `password` and `roles`.
    public func createAccount(for record: UserRecord, password: String, roles: [String]) async throws {
        var request = Security.CreateAccountRequest()
        request.userId = record.id
        request.username = record.profile.username
        request.email = record.profile.email
        request.kind = record.kind == .staff ? .staff : .customer
        request.password = password
        request.roles = roles
        request.displayName = record.profile.displayName
        try await call { _ = try await client.createAccount(request, options: options) }
    }

    /// Tells security the username, email and display name of `id`, all three as they are now:
    /// an empty display name removes the one security had.
    public func updateAccount(id: String, username: String, email: String, displayName: String) async throws {
        var request = Security.UpdateAccountRequest()
        request.userId = id
        request.username = username
        request.email = email
        request.displayName = displayName
        request.clearDisplayName = displayName.isEmpty
        try await call { _ = try await client.updateAccount(request, options: options) }
    }

    /// Activates or deactivates the credential of `id` (deactivation revokes its sessions).
    public func setStatus(id: String, active: Bool) async throws {
        var request = Security.SetAccountStatusRequest()
        request.userId = id
        request.status = active ? .active : .deactivated
        try await call { _ = try await client.setAccountStatus(request, options: options) }
    }

    /// Deletes the credential of `id`; an account security does not know counts as deleted.
    public func deleteAccount(id: String) async throws {
        var request = Security.DeleteAccountRequest()
        request.userId = id
        do {
            try await call { _ = try await client.deleteAccount(request, options: options) }
        } catch let error as RPCError where error.code == .notFound {
            return
        }
    }

    /// The ids of every account holding `role`.
    public func holders(ofRole role: String) async throws -> [String] {
        var request = Security.ListAccountRolesRequest()
        request.holdersOfRole = role
        var holders: [String] = []
        try await call { holders = try await client.listAccountRoles(request, options: options).holders }
        return holders
    }

    /// Runs `body`, translating what it throws with `translate(_:)`.
    private func call(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch {
            throw Self.translate(error)
        }
    }

    /// An error of the security service as the users service's caller should see it: its status
    /// and field violations kept (security's field names are this service's request field names,
    /// except `user_id`, which is `id` here); a failure to reach security is UNAVAILABLE.
    public static func translate(_ error: any Error) -> RPCError {
        guard var rpc = error as? RPCError else {
            return RPCError(.unavailable, "the security service cannot be reached", cause: error)
        }
        rpc.fieldViolations = rpc.fieldViolations.map { violation in
            var violation = violation
            if violation.field == "user_id" { violation.field = "id" }
            return violation
        }
        if rpc.code == .unauthenticated {
            // Security refused our signature: a configuration problem of the suite, not the caller's.
            return RPCError(.unavailable, "the security service refused the users service's call: \(rpc.message)", cause: rpc)
        }
        return rpc
    }

    /// Whether a failed call certainly changed nothing in security (it answered with a verdict on
    /// the request), as opposed to an outcome that is unknown (timeout, connection lost, internal
    /// error) after which a compensating call is needed.
    public static func certainlyChangedNothing(_ error: RPCError) -> Bool {
        [.invalidArgument, .alreadyExists, .permissionDenied, .failedPrecondition, .notFound, .unauthenticated, .outOfRange]
            .contains(error.code) || isRefusedSignature(error)
    }

    /// Whether security refused the users service's own signature (keys differ, or one side runs
    /// without a key): a configuration problem that retrying does not cure.
    public static func isRefusedSignature(_ error: RPCError) -> Bool {
        error.code == .unavailable && (error.cause as? RPCError)?.code == .unauthenticated
    }
}
