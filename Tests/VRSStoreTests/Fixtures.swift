import Foundation
import VRSDomain
import VRSStore

/// Municipalities used across store tests.
enum Town {
    static let a = try! MunicipalityCode("131016")  // 千代田区
    static let b = try! MunicipalityCode("011002")  // 札幌市
}

extension NewPerson {
    /// A valid person with the given address number and Individual Number.
    static func sample(_ address: String, _ number: String) -> NewPerson {
        NewPerson(
            addressNumber: address, individualNumber: try! IndividualNumber(number), familyName: "佐藤", givenName: "花子",
            familyNameKana: "サトウ", givenNameKana: "ハナコ", birthDate: try! CalendarDate("1950-04-01"), sex: .female)
    }
}
