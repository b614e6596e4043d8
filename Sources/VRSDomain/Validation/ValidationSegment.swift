/// The part of a longer value an error is about, e.g. the municipality code at positions 3–8 of a coupon line.
public struct ValidationSegment: Sendable, Hashable {
    /// What the part is, in words ("municipality code").
    public var name: String
    /// Where the part sits in the outer value (1-based, inclusive).
    public var positions: ClosedRange<Int>

    /// Names a part of a longer value.
    public init(name: String, positions: ClosedRange<Int>) {
        self.name = name
        self.positions = positions
    }
}
