import Foundation

/// A vaccination target to register in a municipality's ledger.
public struct NewPerson: Sendable {
    public var addressNumber: String
    public var individualNumber: IndividualNumber
    public var familyName: String
    public var givenName: String
    public var familyNameKana: String
    public var givenNameKana: String
    public var birthDate: CalendarDate
    public var sex: Sex
    public var movedInOn: CalendarDate?

    /// Gathers the fields of a registration.
    public init(
        addressNumber: String, individualNumber: IndividualNumber, familyName: String, givenName: String,
        familyNameKana: String, givenNameKana: String, birthDate: CalendarDate, sex: Sex, movedInOn: CalendarDate? = nil
    ) {
        self.addressNumber = addressNumber
        self.individualNumber = individualNumber
        self.familyName = familyName
        self.givenName = givenName
        self.familyNameKana = familyNameKana
        self.givenNameKana = givenNameKana
        self.birthDate = birthDate
        self.sex = sex
        self.movedInOn = movedInOn
    }
}
