import BackofficeAPI
import ProtoRuntime
import Testing

/// Our encoding of one `AllTypes` value equals Python protobuf's (`pythonAllTypesEncoding`, which
/// Scripts/python-encoding-fixture.py generated from the same value and check-generated.sh keeps
/// current), and we decode Python's bytes back to that value.
@Suite struct PythonCrossCheckTests {
    /// The value that Scripts/python-encoding-fixture.py builds, field for field.
    static var pythonValue: AllTypes {
        var value = AllTypes()
        value.fDouble = -2.5e-300
        value.fFloat = .greatestFiniteMagnitude
        value.fInt32 = .min
        value.fInt64 = .min
        value.fUint32 = .max
        value.fUint64 = .max
        value.fSint32 = .min
        value.fSint64 = .min
        value.fFixed32 = .max
        value.fFixed64 = .max
        value.fSfixed32 = .min
        value.fSfixed64 = -1
        value.fBool = true
        value.fString = "héllo, 世界 🎉"
        value.fBytes = [0x00, 0x01, 0xff, 0x00]
        value.fColor = .blue
        value.fMood = .unrecognized(7)
        value.rDouble = [0.0, -0.0, 1e308, .infinity, -.infinity]
        value.rFloat = [1.5, -.infinity]
        value.rInt32 = [0, -1, .max]
        value.rInt64 = [-1, .max]
        value.rUint32 = [0, .max]
        value.rUint64 = [1, .max]
        value.rSint32 = [-1, 1, .min]
        value.rSint64 = [-1, .max]
        value.rFixed32 = [7]
        value.rFixed64 = [.max]
        value.rSfixed32 = [-7]
        value.rSfixed64 = [.min]
        value.rBool = [true, false, true]
        value.rString = ["", "a", "ü"]
        value.rBytes = [[], [0x00], [0xff, 0xfe]]
        value.rColor = [.red, .unrecognized(9), .unspecified]
        value.fNested = nested(-7, "outer", child: nested(8, "inner"))
        value.rNested = [nested(1), nested(0, "two")]
        value.mStringString = ["b": "2", "a": "1", "é": "accent"]
        value.mInt64Nested = [-5: nested(5), 10: nested(0, "ten")]
        value.mUint32Color = [1: .green, 4_000_000_000: .unrecognized(12)]
        value.mBoolBytes = [true: [0x00, 0x01]]
        value.mSint32Double = [-3: 0.25, 2: -1.0]
        value.choice = .choiceNested(nested(53, child: nested(54)))
        return value
    }

    static func nested(_ value: Int32, _ label: String = "", child: Nested? = nil) -> Nested {
        var message = Nested()
        message.value = value
        message.label = label
        message.child = child
        return message
    }

    @Test func encodingEqualsPythons() {
        let ours = Self.pythonValue.serializedBytes()
        #expect(ours.count == pythonAllTypesEncoding.count)
        #expect(ours == pythonAllTypesEncoding)
    }

    @Test func decodesPythonsEncoding() throws {
        let decoded = try AllTypes(serializedBytes: pythonAllTypesEncoding)
        #expect(decoded == Self.pythonValue)
        #expect(decoded.rDouble[1].sign == .minus)
    }
}
