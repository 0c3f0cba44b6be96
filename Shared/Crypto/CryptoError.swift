/// A failed libsodium call or an invalid input to one (a key of the wrong length, text that is
/// not valid hex or base64), carrying the call's result code, the call and a message.
public struct CryptoError: Error, Sendable, Equatable, CustomStringConvertible {
    /// libsodium's result code (-1 for its failures), or -1 for input the wrapper rejected.
    public let code: Int32
    /// The libsodium function or operation that failed, for example `crypto_pwhash_str_alg`.
    public let call: String
    /// What went wrong (libsodium itself reports only the code, so the message explains it).
    public let message: String

    /// Creates an error from its parts.
    public init(code: Int32, call: String, message: String) {
        self.code = code
        self.call = call
        self.message = message
    }

    /// A readable one-line description.
    public var description: String { "\(call) failed (code \(code)): \(message)" }

    // MARK: - The one helper that turns libsodium result codes into errors

    /// Throws a `CryptoError` when `code` is not 0 (libsodium's success value).
    static func check(_ code: Int32, _ call: String, _ message: @autoclosure () -> String) throws {
        guard code == 0 else { throw CryptoError(code: code, call: call, message: message()) }
    }
}
