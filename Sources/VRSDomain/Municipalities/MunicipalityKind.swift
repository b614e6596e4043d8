/// What a row of the official code list is; raw values are those of the bundled CSV.
public enum MunicipalityKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// 都道府県.
    case prefecture
    /// 政令指定都市: a tenant, its wards are not.
    case designatedCity = "designated_city"
    /// 行政区 of a designated city.
    case ward
    /// 市.
    case city
    /// 町.
    case town
    /// 村.
    case village
    /// 特別区 (Tokyo's 23 wards): municipalities in their own right.
    case specialWard = "special_ward"

    /// Whether a body of this kind keeps its own vaccination ledger (予防接種法 duty falls on 市区町村).
    /// Prefectures do not; a designated city keeps one ledger for all its wards.
    public var canBeTenant: Bool {
        switch self {
        case .designatedCity, .city, .town, .village, .specialWard: true
        case .prefecture, .ward: false
        }
    }

    /// Words for messages ("a prefecture cannot be a tenant").
    public var englishName: String {
        switch self {
        case .prefecture: "prefecture"
        case .designatedCity: "designated city"
        case .ward: "ward of a designated city"
        case .city: "city"
        case .town: "town"
        case .village: "village"
        case .specialWard: "special ward"
        }
    }
}
