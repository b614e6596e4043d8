/// A column of a target registration file (対象者ファイル), known by its English or Japanese header.
public enum PersonImportColumn: String, FileColumn {
    case municipalityCode = "municipality_code"
    case addressNumber = "address_number"
    case individualNumber = "individual_number"
    case couponNumber = "coupon_number"
    case couponKind = "coupon_kind"
    case name
    case nameKana = "name_kana"
    case birthDate = "birth_date"
    case sex
    case movedInOn = "moved_in_on"
    case previousCouponNumber = "previous_coupon_number"

    /// The header municipal systems write (the official column list is not public; these are the
    /// names the VRS manuals and ledger systems use).
    public var japaneseName: String {
        switch self {
        case .municipalityCode: "自治体コード"
        case .addressNumber: "宛名番号"
        case .individualNumber: "個人番号"
        case .couponNumber: "券番号"
        case .couponKind: "券種"
        case .name: "氏名"
        case .nameKana: "氏名カナ"
        case .birthDate: "生年月日"
        case .sex: "性別"
        case .movedInOn: "転入日"
        case .previousCouponNumber: "旧券番号"
        }
    }

    /// Whether every file must have the column.
    public var isRequired: Bool { self != .movedInOn && self != .previousCouponNumber }
}

/// A column of an import file: known by its English name (the raw value) or its Japanese header.
public protocol FileColumn: RawRepresentable, CaseIterable, Hashable, Sendable where RawValue == String {
    /// The header Japanese municipal systems write.
    var japaneseName: String { get }
    /// Whether every file must have the column.
    var isRequired: Bool { get }
}

extension FileColumn {
    /// The column a header cell names (case, surrounding spaces and a BOM ignored), if any.
    public init?(header: String) {
        let key = header.trimmingSpaces().lowercased()
        guard let column = Self.allCases.first(where: { $0.rawValue == key || $0.japaneseName.lowercased() == key }) else { return nil }
        self = column
    }
}

/// Where each known column sits in a file's records, read from its header line.
public struct ColumnLayout<Column: FileColumn>: Sendable {
    /// Field index of each column present.
    public let index: [Column: Int]
    /// The header cell of each column as the file spells it, for messages.
    public let headerName: [Column: String]
    /// Number of fields in the header.
    public let width: Int

    /// Reads a header; fails naming a repeated or a missing required column.
    public init(header: [String]) throws(HeaderError) {
        var index: [Column: Int] = [:]
        var names: [Column: String] = [:]
        for (position, cell) in header.enumerated() {
            guard let known = Column(header: cell) else { continue }   // extra columns of legacy exports are ignored
            if let earlier = index[known] {
                throw .repeated(column: cell.trimmingSpaces(), positions: [earlier + 1, position + 1])
            }
            index[known] = position
            names[known] = cell.trimmingSpaces()
        }
        let missing = Column.allCases.filter { $0.isRequired && index[$0] == nil }
        guard missing.isEmpty else { throw .missing(missing.map(\.rawValue)) }
        self.index = index
        self.headerName = names
        self.width = header.count
    }

    /// The column's value on a line, trimmed; nil when the column is absent or the value blank.
    public func value(_ column: Column, in fields: [String]) -> String? {
        guard let position = index[column], position < fields.count else { return nil }
        let text = fields[position].trimmingSpaces()
        return text.isEmpty ? nil : text
    }

    /// The column's name as the file's header spells it, for messages.
    public func name(_ column: Column) -> String { headerName[column] ?? column.rawValue }
}

/// A header line that cannot be read.
public enum HeaderError: Error, Sendable, Equatable {
    case missing([String])
    case repeated(column: String, positions: [Int])

    /// Plain-English text.
    public var message: String {
        switch self {
        case .missing(let columns): "line 1: missing required column(s) \(columns.joined(separator: ", "))"
        case .repeated(let column, let positions): "line 1: column \(column) appears twice (fields \(positions.map(String.init).joined(separator: " and ")))"
        }
    }
}

extension String {
    /// Without surrounding half- and full-width spaces, tabs and a leading BOM.
    func trimmingSpaces() -> String {
        var scalars = Substring(self).unicodeScalars
        let blank: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\u{3000}" || $0 == "\t" || $0 == "\u{FEFF}" }
        while let first = scalars.first, blank(first) { scalars.removeFirst() }
        while let last = scalars.last, blank(last) { scalars.removeLast() }
        return String(scalars)
    }
}
