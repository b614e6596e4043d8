import Foundation
import VRSDomain
import VRSStore

/// A person as municipal staff see it: the Individual Number masked, with coupons, doses and flags.
struct PersonView: Encodable {
    let personId: String
    let addressNumber: String
    let personalNumber: String
    let familyName: String
    let givenName: String
    let familyNameKana: String
    let givenNameKana: String
    let birthDate: String
    let sex: String
    let status: String
    let statusEffectiveOn: String?
    let destinationCode: String?
    let movedInOn: String?
    /// The ETag's version: a correction names it in If-Match.
    let version: Int
    /// Set on a tombstone: the registration this one was merged into.
    let mergedInto: String?
    /// The dose number the next dose should carry: the recorded doses (voided and handed-over ones do not count) plus one.
    let nextDose: Int
    let coupons: [CouponRecord]
    let vaccinations: [VaccinationView]

    init(_ person: PersonRecord, maskedNumber: String, coupons: [CouponRecord], vaccinations: [VaccinationRecord]) {
        personId = person.id.uuidString.lowercased()
        addressNumber = person.addressNumber
        personalNumber = maskedNumber
        familyName = person.familyName
        givenName = person.givenName
        familyNameKana = person.familyNameKana
        givenNameKana = person.givenNameKana
        birthDate = person.birthDate.description
        sex = person.sex.rawValue
        status = person.status.rawValue
        statusEffectiveOn = person.statusEffectiveOn?.description
        destinationCode = person.destinationCode
        movedInOn = person.movedInOn?.description
        version = person.version
        mergedInto = person.mergedInto?.uuidString.lowercased()
        nextDose = vaccinations.filter { $0.state == "recorded" }.count + 1
        self.coupons = coupons
        self.vaccinations = vaccinations.map(VaccinationView.init)
    }
}

/// A stored dose in an answer (ids lower-case, as everywhere in the API).
struct VaccinationView: Encodable {
    let vaccinationId: String
    let couponNumber: String?
    let dose: Int
    let vaccinatedOn: String
    let product: String
    let lotNumber: String
    let siteName: String?
    let doctorName: String?
    let source: String
    let flags: [String]
    let recordedAt: Date
    /// The ETag's version: a correction names it in If-Match.
    let version: Int
    /// `recorded`, `voided` or `moved` (handed over to `movedTo`).
    let state: String
    let movedTo: Destination?
    let receivedFrom: String?
    let personId: String?
    /// A copy brought by a transfer inquiry: where the dose was given, on which coupon there, by which inquiry.
    let origin: Origin?

    struct Origin: Encodable { let municipalityCode: String; let couponNumber: String?; let inquiryId: String? }

    /// Where a handed-over dose went.
    struct Destination: Encodable { let municipalityCode: String; let municipalityName: String? }

    init(_ record: VaccinationRecord) {
        vaccinationId = record.vaccinationId.uuidString.lowercased()
        couponNumber = record.couponNumber
        dose = record.dose
        vaccinatedOn = record.vaccinatedOn
        product = record.product
        lotNumber = record.lotNumber
        siteName = record.siteName
        doctorName = record.doctorName
        source = record.source
        flags = record.flags
        recordedAt = record.recordedAt
        version = record.version
        state = record.state
        movedTo = record.movedToCode.map { Destination(municipalityCode: $0, municipalityName: record.movedToName) }
        receivedFrom = record.receivedFromCode
        personId = record.personId?.uuidString.lowercased()
        origin = record.originMunicipalityCode.map {
            Origin(municipalityCode: $0, couponNumber: record.originCouponNumber, inquiryId: record.inquiryId?.uuidString.lowercased())
        }
    }
}
