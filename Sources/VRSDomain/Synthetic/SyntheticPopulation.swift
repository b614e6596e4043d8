/// A deterministic population of synthetic residents: the same seed and index always give the same
/// person, and any index can be generated on its own, so seeders can fill batches in parallel.
public struct SyntheticPopulation: Sendable {
    /// How many distinct people a population can hold (address and coupon numbers have 10 digits).
    public static let capacity = 10_000_000_000

    /// Birth dates by default: from the oldest residents to young children.
    public static let defaultBirthDates = CalendarDate(unchecked: 1930, 1, 1)...CalendarDate(unchecked: 2020, 12, 31)
    /// Coupon kinds by default; the real code values are not public, so this is a stand-in.
    public static let defaultCouponKinds = [CouponKind(unchecked: 1)]

    /// The seed everything is derived from.
    public let seed: UInt64
    private let birthDays: ClosedRange<Int>
    private let couponKinds: [CouponKind]
    private let addressNumbers: DecimalPermutation
    private let individualNumberBases: DecimalPermutation
    private let couponNumbers: DecimalPermutation

    /// A population for `seed`, born within `birthDates`, holding coupons of `couponKinds` (not empty).
    public init(
        seed: UInt64,
        birthDates: ClosedRange<CalendarDate> = SyntheticPopulation.defaultBirthDates,
        couponKinds: [CouponKind] = SyntheticPopulation.defaultCouponKinds
    ) {
        precondition(!couponKinds.isEmpty, "a population needs at least one coupon kind")
        self.seed = seed
        birthDays = birthDates.lowerBound.daysSinceEpoch...birthDates.upperBound.daysSinceEpoch
        self.couponKinds = couponKinds
        // One keyed permutation per identifier: distinct indices give distinct numbers, and the
        // numbers of different seeds are unrelated.
        var keys = SplitMix64(seed: seed)
        addressNumbers = DecimalPermutation(domain: 10_000_000_000, key: keys.next())
        individualNumberBases = DecimalPermutation(domain: 100_000_000_000, key: keys.next())
        couponNumbers = DecimalPermutation(domain: 10_000_000_000, key: keys.next())
    }

    /// The person at `index` (0 ..< `capacity`).
    public func person(at index: Int) -> SyntheticPerson {
        precondition((0..<Self.capacity).contains(index), "index outside the population")
        let position = UInt64(index)
        var random = SplitMix64(seed: SplitMix64.mix(seed ^ SplitMix64.mix(position)))
        let roll = random.below(1000)
        // Roughly the register's mix, with a few unknowns so that code paths for "U" get exercised.
        let sex: Sex = roll < 485 ? .male : roll < 995 ? .female : .unknown
        let family = SyntheticNames.family[random.below(SyntheticNames.family.count)]
        let givenNames = sex == .male || (sex == .unknown && roll % 2 == 0) ? SyntheticNames.male : SyntheticNames.female
        let given = givenNames[random.below(givenNames.count)]
        let birthDay = birthDays.lowerBound + random.below(birthDays.count)
        return SyntheticPerson(
            index: index,
            addressNumber: Self.digits(addressNumbers(position), width: 10),
            individualNumber: individualNumber(base: individualNumberBases(position)),
            familyName: family.kanji,
            givenName: given.kanji,
            familyNameKana: family.kana,
            givenNameKana: given.kana,
            birthDate: CalendarDate(daysSinceEpoch: birthDay),
            sex: sex,
            couponNumber: CouponNumber(uncheckedRawValue: Self.digits(couponNumbers(position), width: 10)),
            couponKind: couponKinds[random.below(couponKinds.count)]
        )
    }

    private func individualNumber(base: UInt64) -> IndividualNumber {
        var digits = (UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0),
                      UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0))
        let text = withUnsafeMutableBytes(of: &digits) { buffer in
            var rest = base
            for offset in (0..<11).reversed() {
                buffer[offset] = UInt8(rest % 10)
                rest /= 10
            }
            buffer[11] = IndividualNumber.checkDigit(for: buffer[0..<11])
            return DigitInput.string(buffer)
        }
        return IndividualNumber(uncheckedDigits: text)
    }

    /// `value` as exactly `width` ASCII digits, zero-padded.
    private static func digits(_ value: UInt64, width: Int) -> String {
        String(unsafeUninitializedCapacity: width, initializingUTF8With: { buffer in
            var rest = value
            for offset in (0..<width).reversed() {
                buffer[offset] = 0x30 &+ UInt8(rest % 10)
                rest /= 10
            }
            return width
        })
    }
}
