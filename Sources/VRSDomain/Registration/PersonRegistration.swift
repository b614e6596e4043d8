/// One line of a registration file, or one `POST /v1/persons`: a target with the coupon mailed to them.
public struct PersonRegistration: Sendable {
    public var person: NewPerson
    public var couponNumber: CouponNumber
    public var couponKind: CouponKind
    /// 旧券番号: the coupon this one reissues, which becomes superseded.
    public var previousCouponNumber: CouponNumber?

    /// Gathers a registration.
    public init(person: NewPerson, couponNumber: CouponNumber, couponKind: CouponKind, previousCouponNumber: CouponNumber? = nil) {
        self.person = person
        self.couponNumber = couponNumber
        self.couponKind = couponKind
        self.previousCouponNumber = previousCouponNumber
    }
}

/// What is wrong on one line of a file: the line (header = 1), the column as the header names it, the rule.
public struct LineError: Error, Sendable, Hashable {
    public var line: Int
    public var column: String
    public var rule: ValidationRule

    /// Names a problem on a line.
    public init(line: Int, column: String, rule: ValidationRule) {
        self.line = line
        self.column = column
        self.rule = rule
    }

    /// `line 7: birth_date: …`, safe to show and log (built from the rule, never from the value).
    public var message: String { "line \(line): \(column): \(rule.message)" }
}

/// Limits of the ledger's text fields, as the database enforces them.
public enum RegistrationLimits {
    public static let addressNumber = 32
    public static let namePart = 50
}

extension PersonRegistration {
    /// Reads one record of a registration file (of the header's width): every field checked, every problem reported.
    public static func parse(
        _ fields: [String], line: Int, layout: ColumnLayout<PersonImportColumn>,
        municipality: MunicipalityCode, today: CalendarDate
    ) -> (registration: PersonRegistration?, errors: [LineError]) {
        var errors: [LineError] = []
        func check<T>(_ column: PersonImportColumn, _ parse: (String) throws(ValidationError) -> T) -> T? {
            let name = layout.name(column)
            guard let text = layout.value(column, in: fields) else {
                if column.isRequired { errors.append(LineError(line: line, column: name, rule: .empty)) }
                return nil
            }
            do { return try parse(text) } catch {
                errors.append(LineError(line: line, column: name, rule: error.rule))
                return nil
            }
        }
        _ = check(.municipalityCode) { (text) throws(ValidationError) in
            let code = try MunicipalityCode(text)
            guard code == municipality else { throw ValidationError(field: "", rule: .otherMunicipality) }
            return code
        }
        let address = check(.addressNumber) { (text) throws(ValidationError) in
            guard text.unicodeScalars.count <= RegistrationLimits.addressNumber else { throw ValidationError(field: "", rule: .tooLong(max: RegistrationLimits.addressNumber)) }
            return text
        }
        let number = check(.individualNumber) { (text) throws(ValidationError) in try IndividualNumber(text) }
        let coupon = check(.couponNumber) { (text) throws(ValidationError) in try CouponNumber(text) }
        let kind = check(.couponKind) { (text) throws(ValidationError) in
            guard text.count == 1, let digit = Int(text) else { throw ValidationError(field: "", rule: .outOfRange(position: 1, allowed: 0...9)) }
            return try CouponKind(digit)
        }
        let name = check(.name) { (text) throws(ValidationError) in try splitName(text) }
        let kana = check(.nameKana) { (text) throws(ValidationError) in try splitName(text) }
        let birth = check(.birthDate) { (text) throws(ValidationError) in try pastDate(text, today: today) }
        let sex = check(.sex) { (text) throws(ValidationError) in try parseSex(text) }
        let movedIn = check(.movedInOn) { (text) throws(ValidationError) in try pastDate(text, today: today) }
        let previous = check(.previousCouponNumber) { (text) throws(ValidationError) in try CouponNumber(text) }
        if let previous, previous == coupon {
            errors.append(LineError(line: line, column: layout.name(.previousCouponNumber),
                                    rule: .conflict("the previous coupon number is the coupon number itself")))
        }
        guard errors.isEmpty, let address, let number, let coupon, let kind, let name, let kana, let birth, let sex else {
            return (nil, errors)
        }
        let person = NewPerson(
            addressNumber: address, individualNumber: number, familyName: name.family, givenName: name.given,
            familyNameKana: kana.family, givenNameKana: kana.given, birthDate: birth, sex: sex, movedInOn: movedIn)
        return (PersonRegistration(person: person, couponNumber: coupon, couponKind: kind, previousCouponNumber: previous), [])
    }

    /// `山田　太郎` or `山田 太郎` → family 山田, given 太郎 (the first space splits; later ones stay in the given name).
    public static func splitName(_ text: String) throws(ValidationError) -> (family: String, given: String) {
        guard let space = text.firstIndex(where: { $0 == " " || $0 == "\u{3000}" }) else {
            throw ValidationError(field: "", rule: .nameParts)
        }
        let family = String(text[..<space]).trimmingSpaces()
        let given = String(text[text.index(after: space)...]).trimmingSpaces()
        guard !family.isEmpty, !given.isEmpty else { throw ValidationError(field: "", rule: .nameParts) }
        guard family.unicodeScalars.count <= RegistrationLimits.namePart, given.unicodeScalars.count <= RegistrationLimits.namePart else {
            throw ValidationError(field: "", rule: .tooLong(max: RegistrationLimits.namePart))
        }
        return (family, given)
    }

    /// 1/2/9 (the resident register's codes) or M/F/U.
    public static func parseSex(_ text: String) throws(ValidationError) -> Sex {
        switch text.uppercased() {
        case "1", "M": .male
        case "2", "F": .female
        case "9", "U": .unknown
        default: throw ValidationError(field: "", rule: .notOneOf(["1", "2", "9", "M", "F", "U"]))
        }
    }

    static func pastDate(_ text: String, today: CalendarDate) throws(ValidationError) -> CalendarDate {
        let date = try CalendarDate(text)
        guard date <= today else { throw ValidationError(field: "", rule: .future) }
        guard date.year >= 1900 else { throw ValidationError(field: "", rule: .tooEarly("1900-01-01")) }
        return date
    }
}
