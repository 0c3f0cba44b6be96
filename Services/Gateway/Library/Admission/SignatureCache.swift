import BackofficeAPI
import RPC
import ServiceRuntime
import Synchronization

/// Signed principals reused for a short while: signing costs a MAC, a nonce and an encoding per
/// call, and a signature may be presented again for the same method within its validity window.
/// Each signature is kept by its `Caller` (so it lives no longer than the caller's credential is
/// cached), reused for at most `reuseMillis` and signed to stay valid `validityMillis` longer than
/// that, since services check the signature when a call arrives.
public final class SignatureCache: Sendable {
    private let signer: PrincipalSigner
    private let clock: GatewayClock
    /// How long one signature is handed out.
    public let reuseMillis: Int64
    /// How long a signature stays valid after it was last handed out.
    public let validityMillis: Int64

    /// A cache signing with `signer`.
    public init(signer: PrincipalSigner, reuseMillis: Int64 = 1000, validityMillis: Int64 = 30_000, clock: GatewayClock = .system) {
        self.signer = signer
        self.reuseMillis = reuseMillis
        self.validityMillis = validityMillis
        self.clock = clock
    }

    /// The `x-backoffice-principal` value for `caller` calling `method`.
    public func value(for caller: Caller, method: MethodDescriptor) -> String {
        let now = clock.monotonicMillis()
        if let value = lastHandedOut.withCurrent({ $0.value(for: caller, method: method, now: now) }) ?? nil { return value }
        let value: String
        let reuseUntil: Int64
        if let kept = caller.signature(for: method, now: now) {
            (value, reuseUntil) = kept
        } else {
            value = signer.metadataValue(
                for: caller.principal, method: method.fullName, validFor: .milliseconds(reuseMillis + validityMillis))
            reuseUntil = now + reuseMillis
            caller.keepSignature(value, for: method, reuseUntilMillis: reuseUntil)
        }
        lastHandedOut.withCurrent { $0.remember(value, for: caller, method: method, reuseUntilMillis: reuseUntil) }
        return value
    }

    /// The signature each event loop handed out last: a client connection repeats its caller and
    /// method call after call, and this finds the signature without the caller's lock.
    private let lastHandedOut = LoopLocal { LastSignature() }
}

/// The signature an event loop handed out last, for whom, for which method, and until when it
/// may be handed out again (`SignatureCache`).
private final class LastSignature {
    /// Held, not just compared: their identities cannot be reused while they are here.
    private var caller: Caller?
    private var method: MethodDescriptor?
    private var value = ""
    private var reuseUntilMillis: Int64 = 0

    func value(for caller: Caller, method: MethodDescriptor, now: Int64) -> String? {
        guard self.caller === caller, self.method === method, reuseUntilMillis > now else { return nil }
        return value
    }

    func remember(_ value: String, for caller: Caller, method: MethodDescriptor, reuseUntilMillis: Int64) {
        self.caller = caller
        self.method = method
        self.value = value
        self.reuseUntilMillis = reuseUntilMillis
    }
}

/// Request ids for calls that came without one: a random prefix per process and a number, unique
/// and cheap. Each event loop counts on its own (no counter shared by the loops, written on every
/// call); the number is the count times 16 plus the loop's slot (0–14; 15 for the calls counted
/// off the loops, by one shared counter), so no two ids are the same.
public final class RequestIDGenerator: Sendable {
    private let prefix: [UInt8]
    private let perLoop = LoopLocal { Counter() }
    private let offLoop = Atomic<UInt64>(0)

    /// A generator whose ids start with `prefix`.
    public init(prefix: String) { self.prefix = Array(prefix.utf8) }

    /// The next id, e.g. `gwQ3x_-1a` (the prefix, then the number in hexadecimal), written in one
    /// pass: no string appended to another, and no allocation while it fits in 15 bytes.
    public func next() -> String {
        let onLoop = EventLoop.withCurrent { loop -> UInt64? in
            guard loop.index < 15 else { return nil }
            let count = perLoop.withValue(on: loop) { counter in
                counter.count &+= 1
                return counter.count
            }
            return count << 4 | UInt64(loop.index)
        }
        let number = onLoop.flatMap { $0 } ?? offLoop.wrappingAdd(1, ordering: .relaxed).newValue << 4 | 15
        // Hex digits written by hand: `String(_:radix:)` costs more than the rest of the id.
        let digits = max(1, (64 - number.leadingZeroBitCount + 3) / 4)
        return String(unsafeUninitializedCapacity: prefix.count + digits) { buffer in
            for (index, byte) in prefix.enumerated() { buffer[index] = byte }
            for index in 0..<digits {
                let nibble = UInt8(truncatingIfNeeded: number >> UInt64(4 * (digits - 1 - index))) & 0xF
                buffer[prefix.count + index] = nibble < 10 ? 0x30 + nibble : 0x57 + nibble
            }
            return prefix.count + digits
        }
    }
}

/// One loop's count of request ids (`RequestIDGenerator`), touched by that loop's thread alone.
private final class Counter {
    var count: UInt64 = 0
}
