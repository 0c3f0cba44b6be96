/// A proto3 enum as a Swift enum: one case per value the .proto declares, plus `unrecognized(Int32)` for
/// any other number, so that a value a newer peer sends survives a decode and a re-encode.
///
/// Generated code conforms every enum of `Protos/` to this protocol. `allCases` lists the declared
/// values only, in declaration order.
public protocol ProtoEnum: RawRepresentable, CaseIterable, Hashable, Sendable
where RawValue == Int32, AllCases == [Self] {
    /// The value with this number; a number the .proto does not declare becomes `unrecognized`.
    init(rawValue: Int32)

    /// The value's name in the .proto, e.g. `COLOR_RED`; `nil` for an unrecognized number.
    var protoName: String? { get }

    /// The declared value with this .proto name, e.g. `COLOR_RED`; `nil` for an unknown name.
    init?(protoName: String)
}

extension ProtoEnum {
    /// The value numbered 0: the default of every proto3 enum field.
    public static var defaultValue: Self { Self(rawValue: 0) }
}
