import Foundation
import VRSDomain
import VRSStore

/// A dose as the tablet or the staff member sends it (JSON).
struct DoseBody: Decodable {
    let couponCode: String
    let vaccinatedOn: CalendarDate
    let product: String
    let lotNumber: String
    let siteName: String?
    let doctorName: String?
    let clientRecordId: String?

    /// The report after the checks that need no database: the code's digits and check digit, the
    /// lengths, and the date not in the future. Each problem is named by its JSON field.
    func report(requireClientRecordID: Bool, today: CalendarDate) throws -> (DoseReport, CouponCode) {
        var errors: [Problem.FieldError] = []
        var code: CouponCode?
        do { code = try CouponCode(couponCode, field: "couponCode") } catch {
            errors.append(.init(field: "couponCode", code: error.rule.code, message: error.message))
        }
        errors += DoseLimits.check(lotNumber: lotNumber, siteName: siteName, doctorName: doctorName).map {
            .init(field: $0.field, code: $0.rule.code, message: $0.rule.message)
        }
        if vaccinatedOn > today { errors.append(.init(field: "vaccinatedOn", code: "future_date", message: ValidationRule.future.message)) }
        let recordID = clientRecordId?.trimmingCharacters(in: .whitespaces)
        if let recordID, !(1...64).contains(recordID.unicodeScalars.count) {
            errors.append(.init(field: "clientRecordId", code: "length", message: "must be 1–64 characters"))
        } else if recordID == nil, requireClientRecordID {
            errors.append(.init(field: "clientRecordId", code: "required", message: "is required: the tablet's own id of this record, so a retry is stored once"))
        }
        guard errors.isEmpty, let code else { throw AppError.invalid(errors) }
        let report = DoseReport(
            couponCode: code.rawValue, vaccinatedOn: vaccinatedOn, product: product.trimmingCharacters(in: .whitespaces),
            lotNumber: lotNumber.trimmingCharacters(in: .whitespaces), siteName: siteName.nonBlank, doctorName: doctorName.nonBlank,
            clientRecordID: recordID)
        return (report, code)
    }
}

/// The ledger's limits on a dose's free text (domain.md §3: lot ≤20, site ≤30, doctor ≤20).
enum DoseLimits {
    static func check(lotNumber: String, siteName: String?, doctorName: String?) -> [(field: String, rule: ValidationRule)] {
        var errors: [(String, ValidationRule)] = []
        let lot = lotNumber.trimmingCharacters(in: .whitespaces)
        if lot.isEmpty { errors.append(("lotNumber", .empty)) } else if lot.unicodeScalars.count > 20 { errors.append(("lotNumber", .tooLong(max: 20))) }
        if let site = siteName, site.unicodeScalars.count > 30 { errors.append(("siteName", .tooLong(max: 30))) }
        if let doctor = doctorName, doctor.unicodeScalars.count > 20 { errors.append(("doctorName", .tooLong(max: 20))) }
        return errors
    }
}

extension Optional where Wrapped == String {
    /// nil for nil, empty or blank.
    var nonBlank: String? {
        guard let text = self?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        return text
    }
}

/// A dose door's answer as the API shows it; ids lower-case, absent fields left out.
struct DoseAnswer: Encodable {
    let result: String
    let flags: [String]
    let municipalityCode: String?
    let municipalityName: String?
    let dose: Int
    let couponKind: Int?
    let vaccinationId: String?
    let personId: String?

    init(_ outcome: DoseOutcome) {
        result = outcome.result
        flags = outcome.flags
        municipalityCode = outcome.municipalityCode
        municipalityName = outcome.municipalityName
        dose = outcome.dose
        couponKind = outcome.couponKind
        vaccinationId = outcome.vaccinationId?.uuidString.lowercased()
        personId = outcome.personId?.uuidString.lowercased()
    }
}
