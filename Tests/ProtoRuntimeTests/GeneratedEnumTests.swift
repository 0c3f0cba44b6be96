import BackofficeAPI
import ProtoRuntime
import Testing

/// Generated enums: case names, numbers, .proto names and numbers no case declares.
@Suite struct GeneratedEnumTests {
    @Test func casesStripTheEnumPrefix() {
        #expect(Color.allCases == [.unspecified, .red, .green, .blue])
        #expect(Mood.allCases == [.unspecified, .happy, .grumpy])
        // SERVING_STATUS_UNSPECIFIED loses its prefix; SERVING and DRAINING have none to lose.
        #expect(Health.CheckResponse.ServingStatus.allCases == [.unspecified, .serving, .draining])
    }

    @Test func numbersAndNames() {
        #expect(Color.allCases.map(\.rawValue) == [0, 1, 2, 3])
        #expect(Color.allCases.map(\.protoName) == ["COLOR_UNSPECIFIED", "COLOR_RED", "COLOR_GREEN", "COLOR_BLUE"])
        #expect(Health.CheckResponse.ServingStatus.draining.protoName == "DRAINING")
        for color in Color.allCases {
            #expect(Color(rawValue: color.rawValue) == color)
            #expect(Color(protoName: color.protoName!) == color)
        }
        #expect(Color(protoName: "RED") == nil)
        #expect(Color(protoName: "color_red") == nil)
        #expect(Color.defaultValue == .unspecified)
        #expect(AllTypes().fColor == .unspecified)
    }

    @Test(arguments: [4, -1, Int32.max, Int32.min])
    func unrecognizedNumbers(_ number: Int32) {
        let color = Color(rawValue: number)
        #expect(color == .unrecognized(number))
        #expect(color.rawValue == number)
        #expect(color.protoName == nil)
        #expect(!Color.allCases.contains(color))
    }
}
