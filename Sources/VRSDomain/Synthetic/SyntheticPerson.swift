/// A made-up resident with valid identifiers, for demos, seeding and benchmarks. Never real data.
public struct SyntheticPerson: Sendable, Hashable {
    /// The index it was generated from.
    public let index: Int
    /// 宛名番号: 10 digits, unique per index within a population.
    public let addressNumber: String
    /// A check-digit-valid number, unique per index within a population.
    public let individualNumber: IndividualNumber
    /// 氏 in kanji.
    public let familyName: String
    /// 名 in kanji.
    public let givenName: String
    /// 氏 in full-width katakana.
    public let familyNameKana: String
    /// 名 in full-width katakana.
    public let givenNameKana: String
    /// 生年月日.
    public let birthDate: CalendarDate
    /// 性別.
    public let sex: Sex
    /// 券番号: unique per index within a population.
    public let couponNumber: CouponNumber
    /// 券種.
    public let couponKind: CouponKind
}
