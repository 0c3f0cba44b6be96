import RPC

/// The error `body` throws, as an `RPCError` (other errors converted), or nil when it succeeds:
/// how tests look at a call's status without a do/catch each time.
public func rpcError(_ body: () async throws -> Void) async -> RPCError? {
    do {
        try await body()
        return nil
    } catch let error as RPCError {
        return error
    } catch {
        return RPCError(converting: error)
    }
}
