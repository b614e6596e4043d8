import Testing
import VRSDomain

@Suite("Synthetic population")
struct SyntheticPopulationTests {
    @Test("the same seed gives the same people; another seed gives others")
    func deterministic() {
        let first = SyntheticPopulation(seed: 42)
        let again = SyntheticPopulation(seed: 42)
        let other = SyntheticPopulation(seed: 43)
        for index in [0, 1, 2, 999, 123_456, 9_999_999_999] {
            #expect(first.person(at: index) == again.person(at: index))
            #expect(first.person(at: index).individualNumber != other.person(at: index).individualNumber)
        }
    }

    @Test("order of generation does not matter (random access)")
    func randomAccess() {
        let population = SyntheticPopulation(seed: 7)
        let forward = (0..<100).map { population.person(at: $0) }
        let backward = (0..<100).reversed().map { population.person(at: $0) }.reversed()
        #expect(forward == Array(backward))
    }

    @Test("100,000 people: valid and unique identifiers, plausible names and dates")
    func validAndUnique() throws {
        let population = SyntheticPopulation(seed: 2024)
        var addressNumbers = Set<String>(), individualNumbers = Set<IndividualNumber>(), coupons = Set<CouponNumber>()
        var sexes = Set<Sex>()
        let range = SyntheticPopulation.defaultBirthDates
        let katakana = Set((0x30A0...0x30FF).compactMap(Unicode.Scalar.init))
        for index in 0..<100_000 {
            let person = population.person(at: index)
            addressNumbers.insert(person.addressNumber)
            individualNumbers.insert(person.individualNumber)
            coupons.insert(person.couponNumber)
            sexes.insert(person.sex)
            if index % 100 == 0 {
                #expect(try IndividualNumber(person.individualNumber.revealDigits()) == person.individualNumber)
                #expect(try CouponNumber(person.couponNumber.rawValue) == person.couponNumber)
                #expect(person.addressNumber.count == 10 && person.addressNumber.allSatisfy(\.isASCII))
                #expect(Int(person.addressNumber) != nil)
                #expect(range.contains(person.birthDate))
                #expect(try CalendarDate(person.birthDate.description) == person.birthDate)
                #expect((person.familyNameKana + person.givenNameKana).unicodeScalars.allSatisfy(katakana.contains))
                #expect(!person.familyName.isEmpty && !person.givenName.isEmpty)
                #expect(person.couponKind.digit == 1)
            }
        }
        #expect(addressNumbers.count == 100_000)
        #expect(individualNumbers.count == 100_000)
        #expect(coupons.count == 100_000)
        #expect(sexes == Set(Sex.allCases))
    }

    @Test("configured birth dates and coupon kinds are respected")
    func configured() throws {
        let dates = try CalendarDate("1950-01-01")...CalendarDate("1950-12-31")
        let kinds = [try CouponKind(2), try CouponKind(5)]
        let population = SyntheticPopulation(seed: 1, birthDates: dates, couponKinds: kinds)
        var seenKinds = Set<CouponKind>()
        for index in 0..<2000 {
            let person = population.person(at: index)
            #expect(dates.contains(person.birthDate))
            seenKinds.insert(person.couponKind)
        }
        #expect(seenKinds == Set(kinds))
    }

    @Test("a synthetic person's coupon forms a valid OCR line")
    func couponLine() throws {
        let person = SyntheticPopulation(seed: 9).person(at: 5)
        let code = try CouponCode(
            kind: person.couponKind, dose: 1, municipality: try MunicipalityCode("121002"), number: person.couponNumber)
        #expect(try CouponCode(code.rawValue) == code)
    }
}
