import BackofficeAPI
import Foundation
import RPC
import ServiceRuntime
import TestSupport

/// An in-process stand-in for the security service's `Accounts`: keeps accounts in memory,
/// enforces username and (case-insensitive) email uniqueness and a tiny password policy, records
/// every call with the principal it was signed for, and can be told to fail.
final class FakeAccounts: Security.AccountsHandler {
    struct Account: Sendable, Equatable {
        var username: String
        var email: String
        var displayName: String
        var kind: Auth.PrincipalKind
        var roles: [String]
        var password: String
        var active = true
    }

    struct Call: Sendable, Equatable {
        var method: String
        var userId: String
        /// The subject of the signed principal, "" when unsigned.
        var caller: String
    }

    /// How a call should fail.
    enum Failure: Sendable {
        /// Fail with the error and change nothing.
        case before(RPCError)
        /// Do the work, then fail with the error (an outcome the caller cannot know).
        case after(RPCError)
    }

    struct State: Sendable {
        var accounts: [String: Account] = [:]
        var calls: [Call] = []
        var failures: [String: Failure] = [:]
    }

    let state = Locked(State())

    var accounts: [String: Account] { state.value.accounts }
    var calls: [Call] { state.value.calls }

    func calls(to method: String) -> [Call] { calls.filter { $0.method == method } }

    /// Makes the next call of `method` (e.g. "CreateAccount") fail.
    func failNext(_ method: String, _ failure: Failure) {
        state.withLock { $0.failures[method] = failure }
    }

    /// Records the call and returns the failure planned for it, if any.
    private func begin(_ method: String, _ userId: String, _ context: ServerContext) -> Failure? {
        state.withLock { state in
            state.calls.append(Call(method: method, userId: userId, caller: context.principal?.subjectId ?? ""))
            return state.failures.removeValue(forKey: method)
        }
    }

    /// Runs `work` under the planned failure of `method`.
    private func perform(_ method: String, _ userId: String, _ context: ServerContext, _ work: (inout State) throws -> Void) throws {
        let failure = begin(method, userId, context)
        if case .before(let error) = failure { throw error }
        let outcome: Result<Void, any Error> = state.withLock { state in Result { try work(&state) } }
        try outcome.get()
        if case .after(let error) = failure { throw error }
    }

    func createAccount(_ request: Security.CreateAccountRequest, context: ServerContext) async throws -> Security.CreateAccountResponse {
        try perform("CreateAccount", request.userId, context) { state in
            if ["password123", "qwertyuiop123"].contains(request.password.lowercased()) || request.password.count < 12 {
                throw RPCError.invalidArgument([FieldViolation(field: "password", description: "is too common")])
            }
            let taken = state.accounts.contains { id, account in
                id == request.userId || account.username == request.username
                    || account.email.lowercased() == request.email.lowercased()
            }
            if taken { throw RPCError(.alreadyExists, "an account with this username or email exists") }
            state.accounts[request.userId] = Account(
                username: request.username, email: request.email, displayName: request.displayName, kind: request.kind,
                roles: request.roles, password: request.password)
        }
        return Security.CreateAccountResponse()
    }

    func updateAccount(_ request: Security.UpdateAccountRequest, context: ServerContext) async throws -> Security.UpdateAccountResponse {
        try perform("UpdateAccount", request.userId, context) { state in
            guard var account = state.accounts[request.userId] else { throw RPCError(.notFound, "no account") }
            if !request.username.isEmpty { account.username = request.username }
            if !request.email.isEmpty { account.email = request.email }
            if !request.displayName.isEmpty || request.clearDisplayName { account.displayName = request.displayName }
            state.accounts[request.userId] = account
        }
        return Security.UpdateAccountResponse()
    }

    func setAccountStatus(
        _ request: Security.SetAccountStatusRequest, context: ServerContext
    ) async throws -> Security.SetAccountStatusResponse {
        try perform("SetAccountStatus", request.userId, context) { state in
            guard state.accounts[request.userId] != nil else { throw RPCError(.notFound, "no account") }
            state.accounts[request.userId]?.active = request.status == .active
        }
        return Security.SetAccountStatusResponse()
    }

    func deleteAccount(_ request: Security.DeleteAccountRequest, context: ServerContext) async throws -> Security.DeleteAccountResponse {
        try perform("DeleteAccount", request.userId, context) { state in
            guard state.accounts.removeValue(forKey: request.userId) != nil else { throw RPCError(.notFound, "no account") }
        }
        return Security.DeleteAccountResponse()
    }

    func listAccountRoles(
        _ request: Security.ListAccountRolesRequest, context: ServerContext
    ) async throws -> Security.ListAccountRolesResponse {
        var response = Security.ListAccountRolesResponse()
        try perform("ListAccountRoles", "", context) { state in
            response.holders = state.accounts.filter { $0.value.roles.contains(request.holdersOfRole) }.map(\.key).sorted()
        }
        return response
    }
}
