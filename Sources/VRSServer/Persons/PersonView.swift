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
    }
}
