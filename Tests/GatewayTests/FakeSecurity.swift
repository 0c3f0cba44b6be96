import BackofficeAPI
import RPC
import ServiceRuntime
import Synchronization

/// An in-process stand-in for the security service: a table of credentials, an audit trail in
/// memory, and an Accounts service that only records who called it. It records the principal and
/// client address of every call, as its `TrustedCallerInterceptor` verified them.
final class FakeSecurity: Sendable {
    struct Seen: Sendable {
        let method: String
        let principal: Auth.Principal?
        let clientAddress: String?
    }

    private struct State {
        var credentials: [String: (principal: Auth.Principal, cacheForMs: Int64)] = [:]
        var authentications = 0
        var records: [Audit.Record] = []
        var seen: [Seen] = []
    }

    private let state = Mutex(State())

    /// Accepts `credential` for `principal`, with the cache time the service allows.
    func accept(_ credential: String, as principal: Auth.Principal, cacheForMs: Int64 = 1000) {
        state.withLock { $0.credentials[credential] = (principal, cacheForMs) }
    }

    /// Forgets `credential` (a logout or revocation).
    func revoke(_ credential: String) {
        state.withLock { _ = $0.credentials.removeValue(forKey: credential) }
    }

    var authentications: Int { state.withLock { $0.authentications } }
    var records: [Audit.Record] { state.withLock { $0.records } }
    var seen: [Seen] { state.withLock { $0.seen } }

    var services: [any RPCService] {
        [
            FakeAuthentication(fake: self), FakeAudit(fake: self), FakeAccounts(fake: self),
            HealthProvider(process: "fake-security", metrics: MetricsRegistry()),
        ]
    }

    fileprivate func note(_ context: ServerContext) {
        let seen = Seen(
            method: context.method.fullName, principal: context.principal, clientAddress: context.metadata[SuiteMetadata.clientAddress])
        state.withLock { $0.seen.append(seen) }
    }

    fileprivate func authenticate(_ credential: String) throws -> Security.AuthenticateResponse {
        try state.withLock { state in
            state.authentications += 1
            guard let entry = state.credentials[credential] else {
                throw RPCError(.unauthenticated, "invalid credential")
            }
            var response = Security.AuthenticateResponse()
            response.principal = entry.principal
            response.cacheForMs = entry.cacheForMs
            return response
        }
    }

    fileprivate func append(_ records: [Audit.Record]) {
        state.withLock { $0.records.append(contentsOf: records) }
    }
}

private struct FakeAuthentication: Security.AuthenticationHandler {
    let fake: FakeSecurity

    func authenticate(_ request: Security.AuthenticateRequest, context: ServerContext) async throws -> Security.AuthenticateResponse {
        fake.note(context)
        return try fake.authenticate(request.credential)
    }
}

private struct FakeAudit: Audit.AuditHandler {
    let fake: FakeSecurity

    func append(_ request: Audit.AppendRequest, context: ServerContext) async throws -> Audit.AppendResponse {
        fake.note(context)
        fake.append(request.record.map { [$0] } ?? [])
        return Audit.AppendResponse()
    }

    func appendBatch(_ request: Audit.AppendBatchRequest, context: ServerContext) async throws -> Audit.AppendBatchResponse {
        fake.note(context)
        fake.append(request.records)
        var response = Audit.AppendBatchResponse()
        response.appended = request.records.map { _ in Audit.AppendResponse() }
        return response
    }

    func query(_ request: Audit.QueryRequest, context: ServerContext) async throws -> Audit.QueryResponse {
        fake.note(context)
        return Audit.QueryResponse()
    }

    func verify(_ request: Audit.VerifyRequest, context: ServerContext) async throws -> Audit.VerifyResponse {
        fake.note(context)
        return Audit.VerifyResponse()
    }
}

private struct FakeAccounts: Security.AccountsHandler {
    let fake: FakeSecurity

    func createAccount(_ request: Security.CreateAccountRequest, context: ServerContext) async throws -> Security.CreateAccountResponse {
        fake.note(context)
        return Security.CreateAccountResponse()
    }

    func updateAccount(_ request: Security.UpdateAccountRequest, context: ServerContext) async throws -> Security.UpdateAccountResponse {
        fake.note(context)
        return Security.UpdateAccountResponse()
    }

    func setAccountStatus(
        _ request: Security.SetAccountStatusRequest, context: ServerContext
    ) async throws -> Security.SetAccountStatusResponse {
        fake.note(context)
        return Security.SetAccountStatusResponse()
    }

    func deleteAccount(_ request: Security.DeleteAccountRequest, context: ServerContext) async throws -> Security.DeleteAccountResponse {
        fake.note(context)
        return Security.DeleteAccountResponse()
    }

    func listAccountRoles(
        _ request: Security.ListAccountRolesRequest, context: ServerContext
    ) async throws -> Security.ListAccountRolesResponse {
        fake.note(context)
        return Security.ListAccountRolesResponse()
    }
}
