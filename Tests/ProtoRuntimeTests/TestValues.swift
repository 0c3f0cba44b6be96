import BackofficeAPI
import ProtoRuntime

typealias AllTypes = BackofficeTesting.AllTypes
typealias Nested = BackofficeTesting.AllTypes.Nested
typealias Color = BackofficeTesting.Color
typealias Mood = BackofficeTesting.AllTypes.Mood

/// Values and helpers the tests of this target share.
enum TestValues {
    /// A chain of `depth` messages, each the `child` of the one before: depth 1 is a lone message.
    static func nestedChain(depth: Int, label: String = "level") -> Nested {
        var message = Nested()
        message.value = Int32(depth)
        message.label = "\(label) \(depth)"
        if depth > 1 {
            message.child = nestedChain(depth: depth - 1, label: label)
        }
        return message
    }

    /// The wire encoding of a chain of `levels` + 1 `Nested` messages, each the `child` (field 3) of
    /// the one before: `levels` levels of nesting below the outer message.
    static func nestedChainEncoding(levels: Int) -> [UInt8] {
        // The length of each level's body, innermost first, then the headers outermost first.
        var lengths: [UInt64] = [0]
        for _ in 0..<levels {
            let inner = lengths[lengths.count - 1]
            lengths.append(1 + UInt64(varint(inner).count) + inner)
        }
        var encoding: [UInt8] = []
        encoding.reserveCapacity(Int(lengths[lengths.count - 1]))
        for inner in lengths.dropLast().reversed() {
            encoding.append(0x1a)
            encoding += varint(inner)
        }
        return encoding
    }

    /// A base-128 varint.
    static func varint(_ value: UInt64) -> [UInt8] {
        var value = value
        var bytes: [UInt8] = []
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
        return bytes
    }

    /// An `AllTypes` with every field set, none at its default.
    static func everyField() -> AllTypes {
        var message = AllTypes()
        message.fDouble = -1.25e-300
        message.fFloat = .greatestFiniteMagnitude
        message.fInt32 = .min
        message.fInt64 = .min
        message.fUint32 = .max
        message.fUint64 = .max
        message.fSint32 = .min
        message.fSint64 = .max
        message.fFixed32 = .max
        message.fFixed64 = .max
        message.fSfixed32 = .min
        message.fSfixed64 = .min
        message.fBool = true
        message.fString = "grüße, 世界 🎉"
        message.fBytes = [0, 1, 0, 0xff, 0]
        message.fNested = nestedChain(depth: 3)
        message.fColor = .green
        message.fMood = .unrecognized(77)
        message.rDouble = [0, -0.0, .infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude]
        message.rFloat = [0, -0.0, .infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude]
        message.rInt32 = [.min, -1, 0, 1, .max]
        message.rInt64 = [.min, -1, 0, 1, .max]
        message.rUint32 = [0, 1, .max]
        message.rUint64 = [0, 1, .max]
        message.rSint32 = [.min, -1, 0, 1, .max]
        message.rSint64 = [.min, -1, 0, 1, .max]
        message.rFixed32 = [0, .max]
        message.rFixed64 = [0, .max]
        message.rSfixed32 = [.min, .max]
        message.rSfixed64 = [.min, .max]
        message.rBool = [true, false, false, true]
        message.rString = ["", "a", "ø", "\u{10FFFF}"]
        message.rBytes = [[], [0], [0, 0], [0xff, 0xfe]]
        message.rNested = [Nested(), nestedChain(depth: 2), nestedChain(depth: 3)]
        message.rColor = [.unspecified, .red, .blue, .unrecognized(-5)]
        message.mStringString = ["": "empty key", "k": "", "ключ": "значение"]
        message.mInt64Nested = [0: Nested(), .min: nestedChain(depth: 3), .max: nestedChain(depth: 1)]
        message.mUint32Color = [0: .unspecified, 1: .red, .max: .unrecognized(1234)]
        message.mBoolBytes = [false: [], true: [0, 0, 0]]
        message.mSint32Double = [.min: -.infinity, 0: 0, .max: 2.5]
        message.choice = .choiceNested(nestedChain(depth: 3))
        return message
    }
}

/// Encodes `message` and decodes the bytes as the same type.
func roundTrip<Message: ProtoMessage>(_ message: Message) throws -> Message {
    try Message(serializedBytes: message.serializedBytes())
}
