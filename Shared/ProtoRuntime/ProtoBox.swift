/// Holds a message-typed field of a generated message out of line, so that a message may contain
/// itself (`Nested.child`) while staying a plain value.
///
/// The box is immutable: a generated setter replaces the box rather than changing its contents, so
/// copies of a message never observe each other's changes. Being a final class whose only stored
/// property is a `let` of a `Sendable` type, it is `Sendable` without any unchecked promise.
public final class ProtoBox<Value: Sendable & Equatable>: Sendable, Equatable {
    /// The boxed field value.
    public let value: Value

    /// Boxes `value`.
    @inlinable
    public init(_ value: Value) {
        self.value = value
    }

    /// Two boxes are equal when they are the same box or hold equal values.
    @inlinable
    public static func == (lhs: ProtoBox, rhs: ProtoBox) -> Bool {
        lhs === rhs || lhs.value == rhs.value
    }
}
