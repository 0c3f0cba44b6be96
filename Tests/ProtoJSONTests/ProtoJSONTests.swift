import BackofficeAPI
import ProtoJSON
import ProtoRuntime
import Testing

/// JSON to wire bytes and back, checked against the generated Swift types (which encode and
/// decode through libprotobuf-c), so both directions agree with the real codec.
@Suite struct ProtoJSONTests {
    typealias AllTypes = BackofficeTesting.AllTypes
    static let schema = MessageSchema(AllTypes.protobufDescriptor)

    static func sample() -> AllTypes {
        var value = AllTypes()
        value.fDouble = 2.5
        value.fFloat = -0.25
        value.fInt32 = -7
        value.fInt64 = -9_007_199_254_740_993  // not representable as a Double
        value.fUint32 = 4_000_000_000
        value.fUint64 = 18_446_744_073_709_551_615
        value.fSint32 = -123
        value.fSint64 = -1_234_567_890_123
        value.fFixed32 = 42
        value.fFixed64 = 43
        value.fSfixed32 = -44
        value.fSfixed64 = -45
        value.fBool = true
        value.fString = "héllo \"quoted\"\n"
        value.fBytes = [0, 1, 254, 255]
        var nested = AllTypes.Nested()
        nested.value = 1
        nested.label = "outer"
        var child = AllTypes.Nested()
        child.value = 2
        nested.child = child
        value.fNested = nested
        value.fColor = .blue
        value.fMood = .grumpy
        value.rInt32 = [1, -1, 0]
        value.rInt64 = [5, -6]
        value.rDouble = [0.5, 1]
        value.rBool = [true, false]
        value.rString = ["a", ""]
        value.rBytes = [[1], []]
        value.rNested = [child, AllTypes.Nested()]
        value.rColor = [.red, .green]
        value.mStringString = ["k": "v"]
        value.mInt64Nested = [-3: child]
        value.mUint32Color = [7: .green]
        value.mBoolBytes = [true: [9]]
        value.mSint32Double = [-2: 0.125]
        value.choice = .choiceNumber(0)
        return value
    }

    static let sampleJSON = """
        {"fDouble":2.5,"fFloat":-0.25,"fInt32":-7,"fInt64":"-9007199254740993","fUint32":4000000000,\
        "fUint64":"18446744073709551615","fSint32":-123,"fSint64":"-1234567890123","fFixed32":42,\
        "fFixed64":"43","fSfixed32":-44,"fSfixed64":"-45","fBool":true,"fString":"héllo \\"quoted\\"\\n",\
        "fBytes":"AAH+/w==","fNested":{"value":1,"label":"outer","child":{"value":2}},"fColor":"COLOR_BLUE",\
        "fMood":"MOOD_GRUMPY","rDouble":[0.5,1],"rInt32":[1,-1,0],"rInt64":["5","-6"],"rBool":[true,false],\
        "rString":["a",""],"rBytes":["AQ==",""],"rNested":[{"value":2},{}],"rColor":["COLOR_RED","COLOR_GREEN"],\
        "mStringString":{"k":"v"},"mInt64Nested":{"-3":{"value":2}},"mUint32Color":{"7":"COLOR_GREEN"},\
        "mBoolBytes":{"true":"CQ=="},"mSint32Double":{"-2":0.125},"choiceNumber":"0"}
        """

    @Test func bytesBecomeCanonicalProto3JSON() throws {
        let json = try ProtoJSON.decode(Self.sample().serializedBytes(), as: Self.schema)
        #expect(json.compactText == Self.sampleJSON)
    }

    @Test func jsonBecomesTheSameMessage() throws {
        let bytes = try ProtoJSON.encode(jsonText: Self.sampleJSON, as: Self.schema)
        let decoded = try AllTypes(serializedBytes: bytes)
        #expect(decoded == Self.sample())
    }

    @Test func protoNamesStringNumbersAndEnumNumbersAreAccepted() throws {
        let text = """
            {"f_int32":"12","f_int64":7,"f_uint64":1e3,"f_color":2,"f_double":"1.5","f_float":"NaN","choice_text":""}
            """
        let decoded = try AllTypes(serializedBytes: ProtoJSON.encode(jsonText: text, as: Self.schema))
        #expect(decoded.fInt32 == 12 && decoded.fInt64 == 7 && decoded.fUint64 == 1000)
        #expect(decoded.fColor == .green && decoded.fDouble == 1.5 && decoded.fFloat.isNaN)
        #expect(decoded.choice == .choiceText(""))
    }

    @Test func nullAndEmptyMeanNotSet() throws {
        let bytes = try ProtoJSON.encode(jsonText: #"{"fNested":null,"fString":"","rInt32":[],"fInt32":0}"#, as: Self.schema)
        #expect(bytes.isEmpty)
        #expect(try ProtoJSON.decode([], as: Self.schema).compactText == "{}")
    }

    @Test(arguments: [
        (#"{"nope":1}"#, "nope", "no such field"),
        (#"{"fInt32":"x"}"#, "fInt32", "expected an integer"),
        (#"{"fInt32":2147483648}"#, "fInt32", "range of Int32"),
        (#"{"fUint32":-1}"#, "fUint32", "range of UInt32"),
        (#"{"fInt32":1.5}"#, "fInt32", "whole number"),
        (#"{"fBool":"true"}"#, "fBool", "expected true or false"),
        (#"{"fString":5}"#, "fString", "expected a string"),
        (#"{"fBytes":"***"}"#, "fBytes", "base64"),
        (#"{"fColor":"PURPLE"}"#, "fColor", "not a value of backoffice.testing.Color"),
        (#"{"rInt32":[1,"two"]}"#, "rInt32[1]", "expected an integer"),
        (#"{"rInt32":3}"#, "rInt32", "expected an array"),
        (#"{"fNested":{"child":{"value":true}}}"#, "fNested.child.value", "expected an integer"),
        (#"{"fNested":[]}"#, "fNested", "expected an object"),
        (#"{"mBoolBytes":{"yes":"AA=="}}"#, "mBoolBytes[\"yes\"]", "boolean map key"),
        (#"{"mInt64Nested":{"x":{}}}"#, "mInt64Nested[\"x\"]", "expected an integer"),
        (#"{"choiceText":"a","choiceNumber":"1"}"#, "choiceNumber", "only one of a oneof"),
        (#"{"fFloat":1e300}"#, "fFloat", "out of range for a float"),
        ("[1]", "", "expected an object"),
        (#"{"fInt32":1"#, "", "malformed JSON"),
    ])
    func badJSONNamesThePathAndTheProblem(text: String, path: String, reason: String) {
        let error = #expect(throws: ProtoJSONError.self) { try ProtoJSON.encode(jsonText: text, as: Self.schema) }
        #expect(error?.path == path)
        #expect(error?.reason.contains(reason) == true, "\(String(describing: error))")
    }

    @Test func malformedBytesAreAnErrorNotACrash() {
        for bytes: [UInt8] in [[0x08], [0x0A, 0x05, 0x01], [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], [0x0B]] {
            #expect(throws: ProtoJSONError.self) { try ProtoJSON.decode(bytes, as: Self.schema) }
        }
        // fString (field 14) holding bytes that are not UTF-8.
        #expect(throws: ProtoJSONError.self) { try ProtoJSON.decode([0x72, 0x01, 0xFF], as: Self.schema) }
    }

    @Test func unknownFieldsAreSkippedAndUnknownEnumNumbersKept() throws {
        // Field 99 (unknown, varint 1), then fColor = 9 (not declared).
        let json = try ProtoJSON.decode([0x98, 0x06, 0x01, 0x88, 0x01, 0x09], as: Self.schema)
        #expect(json.compactText == #"{"fColor":9}"#)
    }

    @Test func schemaDescribesFields() throws {
        let field = try #require(Self.schema.field(named: "m_int64_nested"))
        #expect(field.jsonName == "mInt64Nested" && field.number == 42 && field.isRepeated)
        #expect(field.mapEntry?.fields.map(\.name) == ["key", "value"])
        #expect(Self.schema.field(named: "rNested")?.mapEntry == nil)
        #expect(Self.schema.field(named: "choiceText")?.isOneofMember == true)
        #expect(Self.schema.field(named: "fColor")?.enumSchema?.name(of: 3) == "COLOR_BLUE")
    }
}

/// The JSON parser and writer on their own.
@Suite struct JSONValueTests {
    @Test func parsesEveryKindAndWritesItBack() throws {
        let text = #"{"a":[1,-2.5e3,true,false,null],"b":"x\u00e9\ud83d\ude00\t","c":{}}"#
        let value = try JSONValue.parse(text)
        #expect(value.compactText == "{\"a\":[1,-2.5e3,true,false,null],\"b\":\"xé😀\\t\",\"c\":{}}")
        #expect(try JSONValue.parse(value.prettyText) == value)
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\" 1}", "01", "1.", "-", "\"\\x\"", "\"\u{01}\"", "{\"a\":1,\"a\":2}", "[1] 2",
        "\"\\ud800\"", "tru", "{1:2}",
    ])
    func malformedTextIsRefused(_ text: String) {
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(text) }
    }

    @Test func depthIsBounded() {
        let deep = String(repeating: "[", count: 101) + String(repeating: "]", count: 101)
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(deep) }
        let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: Never.self) { try JSONValue.parse(fine) }
    }

    @Test func controlCharactersAreEscaped() {
        #expect(JSONValue.string("a\u{01}\"\\").compactText == #""a\u0001\"\\""#)
    }
}
