/// A column of a batch inquiry file (転入者の接種記録照会), by English or Japanese header.
public enum TransferInquiryColumn: String, FileColumn {
    case personalNumber = "personal_number"
    case previousMunicipalityCode = "previous_municipality_code"
    case personID = "person_id"

    /// The header municipal systems write.
    public var japaneseName: String {
        switch self {
        case .personalNumber: "個人番号"
        case .previousMunicipalityCode: "転出元市区町村コード"
        case .personID: "個人ID"
        }
    }

    /// The person to copy the records onto may be left out (then nothing is copied).
    public var isRequired: Bool { self != .personID }
}
