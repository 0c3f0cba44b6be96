import BackofficeAPI
import ProtoRuntime
import Testing

/// Every field kind of `backoffice.testing.AllTypes` survives an encode and a decode.
@Suite struct RoundTripTests {
    @Test(arguments: [Int32.min, -1, 0, 1, Int32.max])
    func int32Fields(_ value: Int32) throws {
        var message = AllTypes()
        message.fInt32 = value
        message.fSint32 = value
        message.fSfixed32 = value
        message.rInt32 = [value, 0, value]
        message.rSint32 = [value, value / -2]
        message.rSfixed32 = [value]
        message.mSint32Double = [value: 1]
        #expect(try roundTrip(message) == message)
    }

    @Test(arguments: [Int64.min, -1, 0, 1, Int64.max])
    func int64Fields(_ value: Int64) throws {
        var message = AllTypes()
        message.fInt64 = value
        message.fSint64 = value
        message.fSfixed64 = value
        message.rInt64 = [value, 0]
        message.rSint64 = [value, value / -2]
        message.rSfixed64 = [value]
        message.mInt64Nested = [value: Nested()]
        message.choice = .choiceNumber(value)
        #expect(try roundTrip(message) == message)
    }

    @Test(arguments: [UInt32.min, 1, 127, 128, UInt32.max])
    func uint32Fields(_ value: UInt32) throws {
        var message = AllTypes()
        message.fUint32 = value
        message.fFixed32 = value
        message.rUint32 = [value, 0]
        message.rFixed32 = [value]
        message.mUint32Color = [value: .blue]
        #expect(try roundTrip(message) == message)
    }

    @Test(arguments: [UInt64.min, 1, UInt64(UInt32.max) + 1, UInt64.max])
    func uint64Fields(_ value: UInt64) throws {
        var message = AllTypes()
        message.fUint64 = value
        message.fFixed64 = value
        message.rUint64 = [value, 0]
        message.rFixed64 = [value]
        #expect(try roundTrip(message) == message)
    }

    @Test(
        arguments: [
            0, -1.5, .pi, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .greatestFiniteMagnitude,
            -.greatestFiniteMagnitude, .infinity, -.infinity,
        ] as [Double])
    func doubleFields(_ value: Double) throws {
        var message = AllTypes()
        message.fDouble = value
        message.rDouble = [value, 0, value]
        message.mSint32Double = [-1: value]
        #expect(try roundTrip(message) == message)
    }

    @Test(
        arguments: [
            0, -1.5, .pi, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .greatestFiniteMagnitude,
            -.greatestFiniteMagnitude, .infinity, -.infinity,
        ] as [Float])
    func floatFields(_ value: Float) throws {
        var message = AllTypes()
        message.fFloat = value
        message.rFloat = [value, 0, value]
        #expect(try roundTrip(message) == message)
    }

    /// NaN is never equal to itself, so its bit patterns are compared, payloads included.
    @Test func notANumberKeepsItsBits() throws {
        let doubles = [Double.nan, -Double.nan, Double(bitPattern: 0x7ff8_0000_dead_beef), .signalingNaN]
        let floats = [Float.nan, -Float.nan, Float(bitPattern: 0x7fc0_1234), .signalingNaN]
        var message = AllTypes()
        message.fDouble = doubles[2]
        message.fFloat = floats[2]
        message.rDouble = doubles
        message.rFloat = floats
        message.mSint32Double = [7: .nan]
        let decoded = try roundTrip(message)
        #expect(decoded.fDouble.bitPattern == doubles[2].bitPattern)
        #expect(decoded.fFloat.bitPattern == floats[2].bitPattern)
        #expect(decoded.rDouble.map(\.bitPattern) == doubles.map(\.bitPattern))
        #expect(decoded.rFloat.map(\.bitPattern) == floats.map(\.bitPattern))
        #expect(decoded.mSint32Double[7]?.isNaN == true)
    }

    /// Repeated values keep the sign of zero. A singular -0.0 reads back as +0.0: protobuf-c
    /// compares floating-point fields with 0.0 to decide whether they are at their default.
    @Test func signOfZero() throws {
        var message = AllTypes()
        message.rDouble = [-0.0, 0.0]
        message.rFloat = [-0.0, 0.0]
        message.fDouble = -0.0
        let decoded = try roundTrip(message)
        #expect(decoded.rDouble.map(\.sign) == [.minus, .plus])
        #expect(decoded.rFloat.map(\.sign) == [.minus, .plus])
        #expect(decoded.fDouble == 0)
    }

    @Test func boolFields() throws {
        var message = AllTypes()
        message.fBool = true
        message.rBool = [true, false, true, false, false]
        message.mBoolBytes = [true: [1], false: [0]]
        #expect(try roundTrip(message) == message)
    }

    @Test(arguments: [
        "", "a", "plain ASCII", "grüße", "日本語のテキスト", "emoji 🎉👩‍👩‍👧 and flags 🇫🇷", "\u{10FFFF}",
        "quotes \" and \\ backslash", "tab\tnewline\n",
    ])
    func stringFields(_ value: String) throws {
        var message = AllTypes()
        message.fString = value
        message.rString = [value, "", value]
        message.mStringString = [value: value, "other": value]
        message.choice = .choiceText(value)
        let decoded = try roundTrip(message)
        #expect(decoded == message)
        #expect(decoded.fString.utf8.elementsEqual(value.utf8))
    }

    @Test(
        arguments: [
            [], [0], [0, 0, 0], [0xff, 0, 0x80, 0], [0x80, 0x81, 0xfe, 0xff],
        ] as [[UInt8]])
    func bytesFields(_ value: [UInt8]) throws {
        var message = AllTypes()
        message.fBytes = value
        message.rBytes = [value, [], value]
        message.mBoolBytes = [true: value]
        message.choice = .choiceBytes(value)
        #expect(try roundTrip(message) == message)
    }

    /// Values bigger than the arena's blocks: they get blocks of their own.
    @Test func largeValues() throws {
        let text = String(repeating: "long text, ", count: 50_000)
        let bytes = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var message = AllTypes()
        message.fString = text
        message.fBytes = bytes
        message.rBytes = [bytes, [], Array(0...255)]
        message.rString = [text, text]
        message.rInt64 = Array(-50_000...50_000)
        let decoded = try roundTrip(message)
        #expect(decoded == message)
        #expect(decoded.fBytes.count == 3_000_000)
    }

    @Test(arguments: Color.allCases + [.unrecognized(4), .unrecognized(-1), .unrecognized(.max), .unrecognized(.min)])
    func enumFields(_ value: Color) throws {
        var message = AllTypes()
        message.fColor = value
        message.fMood = Mood(rawValue: value.rawValue)
        message.rColor = [value, .red, value]
        message.mUint32Color = [1: value]
        message.choice = .choiceColor(value)
        let decoded = try roundTrip(message)
        #expect(decoded == message)
        #expect(decoded.fColor.rawValue == value.rawValue)
    }

    @Test func everyRepeatedFieldEmptyAndFilled() throws {
        let filled = TestValues.everyField()
        #expect(try roundTrip(filled) == filled)

        var empty = filled
        empty.rDouble = []
        empty.rFloat = []
        empty.rInt32 = []
        empty.rInt64 = []
        empty.rUint32 = []
        empty.rUint64 = []
        empty.rSint32 = []
        empty.rSint64 = []
        empty.rFixed32 = []
        empty.rFixed64 = []
        empty.rSfixed32 = []
        empty.rSfixed64 = []
        empty.rBool = []
        empty.rString = []
        empty.rBytes = []
        empty.rNested = []
        empty.rColor = []
        #expect(try roundTrip(empty) == empty)
    }

    /// Map entries whose key or value is the default still arrive, as entries.
    @Test func everyMap() throws {
        var message = AllTypes()
        message.mStringString = ["": "", "a": "", "b": "b", "key": "value", "ключ": "значение"]
        message.mInt64Nested = [0: Nested(), -1: TestValues.nestedChain(depth: 3), .max: Nested()]
        message.mUint32Color = [0: .unspecified, 1: .green, 2: .unrecognized(99)]
        message.mBoolBytes = [false: [], true: [0]]
        message.mSint32Double = [.min: -0.5, 0: 0, .max: .infinity]
        #expect(try roundTrip(message) == message)
    }

    /// Each case of the oneof comes back, also when its value is the default: a oneof has presence.
    @Test(
        arguments: [
            .choiceText(""), .choiceText("text"), .choiceNumber(0), .choiceNumber(.min), .choiceNested(Nested()),
            .choiceNested(TestValues.nestedChain(depth: 3)), .choiceColor(.unspecified), .choiceColor(.unrecognized(9)),
            .choiceBytes([]), .choiceBytes([0, 0]),
        ] as [AllTypes.Choice])
    func oneofCases(_ choice: AllTypes.Choice) throws {
        var message = AllTypes()
        message.choice = choice
        #expect(try roundTrip(message).choice == choice)
    }

    @Test func noOneofCase() throws {
        var message = AllTypes()
        message.choice = .choiceNumber(5)
        message.choice = nil
        #expect(try roundTrip(message).choice == nil)
    }

    /// Messages nested three deep in every position a message can take.
    @Test func recursionThreeDeep() throws {
        let chain = TestValues.nestedChain(depth: 3)
        #expect(chain.child?.child?.label == "level 1")
        #expect(chain.child?.child?.child == nil)
        var message = AllTypes()
        message.fNested = chain
        message.rNested = [chain, chain]
        message.mInt64Nested = [3: chain]
        message.choice = .choiceNested(chain)
        let decoded = try roundTrip(message)
        #expect(decoded == message)
        #expect(decoded.fNested?.child?.child?.value == 1)
        #expect(try roundTrip(chain) == chain)
    }

    /// A set but empty submessage is not the same as no submessage.
    @Test func presenceOfSubmessages() throws {
        var message = AllTypes()
        message.fNested = Nested()
        #expect(message.serializedBytes() == [0x82, 0x01, 0x00])
        #expect(try roundTrip(message).fNested == Nested())
        #expect(try roundTrip(AllTypes()).fNested == nil)
    }

    /// Message-typed fields are boxed, yet copies stay independent values.
    @Test func valueSemanticsOfBoxedFields() {
        var original = AllTypes()
        original.fNested = TestValues.nestedChain(depth: 2)
        var copy = original
        copy.fNested?.child?.label = "changed"
        #expect(original.fNested?.child?.label == "level 1")
        #expect(copy.fNested?.child?.label == "changed")
        #expect(original != copy)
        copy.fNested?.child?.label = "level 1"
        #expect(original == copy)
    }

    @Test func otherProtoFiles() throws {
        var request = Echo.EchoRequest()
        request.payload = Array("payload".utf8)
        request.repeat = 3
        request.delayMillis = 10
        request.failCode = -5
        request.failMessage = "nope"
        #expect(try roundTrip(request) == request)

        var metrics = Health.MethodMetrics()
        metrics.method = "backoffice.echo.Echo/Unary"
        metrics.errorsByCode = ["NOT_FOUND": 3, "INTERNAL": 1]
        metrics.bucketUpperMicros = [100, 1_000, 0]
        metrics.bucketCounts = [5, 6, 7]
        var response = Health.MetricsResponse()
        response.methods = [metrics, Health.MethodMetrics()]
        #expect(try roundTrip(response) == response)

        var check = Health.CheckResponse()
        check.status = .draining
        check.uptimeSeconds = .max
        #expect(try roundTrip(check) == check)
    }

    /// `serialize(into:)` appends after what the buffer already holds.
    @Test func serializeAppends() throws {
        let message = TestValues.everyField()
        var buffer: [UInt8] = [1, 2, 3]
        message.serialize(into: &buffer)
        #expect(buffer.prefix(3) == [1, 2, 3])
        #expect(Array(buffer.dropFirst(3)) == message.serializedBytes())
        buffer.removeAll(keepingCapacity: true)
        message.serialize(into: &buffer)
        #expect(buffer == message.serializedBytes())
    }

    /// Equal maps encode to equal bytes whatever the dictionaries' insertion order and seed.
    @Test func mapsEncodeDeterministically() {
        var first = AllTypes()
        var second = AllTypes()
        let keys = (0..<200).map { "key \($0)" }
        for key in keys { first.mStringString[key] = key }
        for key in keys.reversed() { second.mStringString[key] = key }
        first.mInt64Nested = [-1: Nested(), 5: Nested(), 2: Nested()]
        second.mInt64Nested = [2: Nested(), 5: Nested(), -1: Nested()]
        #expect(first.serializedBytes() == second.serializedBytes())
    }
}

/// Messages at their defaults encode to nothing, and nothing decodes to the defaults.
@Suite struct DefaultEncodingTests {
    @Test func emptyMessage() throws {
        #expect(BackofficeTesting.Empty().serializedBytes().isEmpty)
        #expect(try BackofficeTesting.Empty(serializedBytes: []) == BackofficeTesting.Empty())
    }

    @Test func allTypesAtDefaults() throws {
        #expect(AllTypes().serializedBytes().isEmpty)
        #expect(try AllTypes(serializedBytes: []) == AllTypes())
        var explicitDefaults = AllTypes()
        explicitDefaults.fString = ""
        explicitDefaults.fColor = .unspecified
        explicitDefaults.rInt32 = []
        explicitDefaults.mStringString = [:]
        #expect(explicitDefaults.serializedBytes().isEmpty)
    }

    @Test func everyMessageOfEveryFileAtDefaults() {
        #expect(Echo.EchoRequest().serializedBytes().isEmpty)
        #expect(Echo.EchoResponse().serializedBytes().isEmpty)
        #expect(Health.CheckRequest().serializedBytes().isEmpty)
        #expect(Health.CheckResponse().serializedBytes().isEmpty)
        #expect(Health.MethodMetrics().serializedBytes().isEmpty)
        #expect(Nested().serializedBytes().isEmpty)
    }
}
