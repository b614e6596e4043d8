import Foundation
import VRSDomain
import VRSStore

/// A correction's reason: 1–500 characters after trimming, as the doors check it.
enum CorrectionReason {
    static func check(_ text: String?) throws -> String {
        let reason = (text ?? "").trimmingCharacters(in: .whitespacesAndNewlines.union(CharacterSet(charactersIn: "\u{3000}")))
        if reason.isEmpty { throw AppError.invalid([.init(field: "reason", code: "required", message: "a correction needs a reason")]) }
        if reason.unicodeScalars.count > 500 {
            throw AppError.invalid([.init(field: "reason", code: "too_long", message: ValidationRule.tooLong(max: 500).message)])
        }
        return reason
    }
}

/// `{reason}`: the body of a void.
struct ReasonBody: Decodable { let reason: String }

/// `PATCH /v1/vaccinations/{id}`: the fields to amend and why. A site or doctor sent as null is cleared.
struct DoseAmendmentBody: Decodable {
    let reason: String
    let amendment: DoseAmendment

    enum CodingKeys: String, CodingKey { case reason, product, lotNumber, vaccinatedOn, siteName, doctorName }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        reason = try c.decode(String.self, forKey: .reason)
        func clearable(_ key: CodingKeys) throws -> String?? {
            guard c.contains(key) else { return nil }
            return .some(try c.decodeNil(forKey: key) ? nil : try c.decode(String.self, forKey: key))
        }
        amendment = DoseAmendment(
            product: try c.decodeIfPresent(String.self, forKey: .product)?.trimmingCharacters(in: .whitespaces),
            lotNumber: try c.decodeIfPresent(String.self, forKey: .lotNumber),
            vaccinatedOn: try c.decodeIfPresent(CalendarDate.self, forKey: .vaccinatedOn),
            siteName: try clearable(.siteName), doctorName: try clearable(.doctorName))
    }

    /// The checks that need no database; the door checks the product and the approval date.
    func checked(today: CalendarDate) throws -> (String, DoseAmendment) {
        let reason = try CorrectionReason.check(reason)
        guard !amendment.fields.isEmpty else {
            throw AppError.invalid([.init(field: "body", code: "nothing_to_amend",
                                          message: "name one or more of product, lotNumber, vaccinatedOn, siteName, doctorName")])
        }
        var errors: [Problem.FieldError] = DoseLimits.check(
            lotNumber: amendment.lotNumber ?? "unchanged", siteName: amendment.siteName ?? nil, doctorName: amendment.doctorName ?? nil
        ).map { .init(field: $0.field, code: $0.rule.code, message: $0.rule.message) }
        if let date = amendment.vaccinatedOn, date > today {
            errors.append(.init(field: "vaccinatedOn", code: "future_date", message: ValidationRule.future.message))
        }
        if let product = amendment.product, product.isEmpty { errors.append(.init(field: "product", code: "empty", message: ValidationRule.empty.message)) }
        guard errors.isEmpty else { throw AppError.invalid(errors) }
        return (reason, amendment)
    }
}

/// `POST /v1/vaccinations/{id}/move`: where the dose belongs, and why.
struct DoseMoveBody: Decodable {
    let reason: String
    let couponNumber: CouponNumber?
    let personId: UUID?
    let municipalityCode: MunicipalityCode?
}

/// `PATCH /v1/persons/{id}`: the fields to amend and why.
struct PersonAmendmentBody: Decodable {
    let reason: String
    let familyName: String?
    let givenName: String?
    let familyNameKana: String?
    let givenNameKana: String?
    let birthDate: CalendarDate?
    let sex: String?
    let addressNumber: String?

    /// The registration rules, each problem named by its field.
    func checked(today: CalendarDate) throws -> (String, PersonAmendment) {
        let reason = try CorrectionReason.check(reason)
        var errors: [Problem.FieldError] = []
        func text(_ value: String?, _ field: String, max: Int) -> String? {
            guard let value else { return nil }
            let trimmed = value.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { errors.append(.init(field: field, code: "empty", message: ValidationRule.empty.message)) }
            if trimmed.unicodeScalars.count > max { errors.append(.init(field: field, code: "too_long", message: ValidationRule.tooLong(max: max).message)) }
            return trimmed
        }
        var amendment = PersonAmendment(
            familyName: text(familyName, "familyName", max: RegistrationLimits.namePart),
            givenName: text(givenName, "givenName", max: RegistrationLimits.namePart),
            familyNameKana: text(familyNameKana, "familyNameKana", max: RegistrationLimits.namePart),
            givenNameKana: text(givenNameKana, "givenNameKana", max: RegistrationLimits.namePart),
            birthDate: birthDate, addressNumber: text(addressNumber, "addressNumber", max: RegistrationLimits.addressNumber))
        if let birthDate, birthDate > today { errors.append(.init(field: "birthDate", code: "future_date", message: ValidationRule.future.message)) }
        if let birthDate, birthDate.year < 1900 { errors.append(.init(field: "birthDate", code: "too_early", message: ValidationRule.tooEarly("1900-01-01").message)) }
        if let sex {
            do { amendment.sex = try PersonRegistration.parseSex(sex) } catch {
                errors.append(.init(field: "sex", code: error.rule.code, message: error.rule.message))
            }
        }
        if errors.isEmpty, amendment.fields.isEmpty {
            errors.append(.init(field: "body", code: "nothing_to_amend",
                                message: "name one or more of familyName, givenName, familyNameKana, givenNameKana, birthDate, sex, addressNumber"))
        }
        guard errors.isEmpty else { throw AppError.invalid(errors) }
        return (reason, amendment)
    }
}

/// `POST /v1/persons/{id}/merge`: the registration to keep, and why.
struct PersonMergeBody: Decodable {
    let intoPersonId: UUID
    let reason: String
}
