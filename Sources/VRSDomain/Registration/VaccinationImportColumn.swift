/// A column of a file of OCR-read pre-screening forms (予診票), by English or Japanese header.
public enum VaccinationImportColumn: String, FileColumn {
    case couponCode = "coupon_code"
    case vaccinatedOn = "vaccinated_on"
    case product
    case lotNumber = "lot_number"
    case siteName = "site_name"
    case doctorName = "doctor_name"

    /// The header of the ledger export's dose group (domain.md §3) where one exists.
    public var japaneseName: String {
        switch self {
        case .couponCode: "接種券コード"
        case .vaccinatedOn: "接種日"
        case .product: "ワクチン"
        case .lotNumber: "ロット番号"
        case .siteName: "接種会場名"
        case .doctorName: "接種医師名"
        }
    }

    /// Site and doctor may be blank.
    public var isRequired: Bool { self != .siteName && self != .doctorName }
}
