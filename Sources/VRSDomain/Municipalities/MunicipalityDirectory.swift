import Foundation

/// The official list of local government codes, and which of them can be tenants.
public struct MunicipalityDirectory: Sendable {
    /// The credit line the data's terms require wherever the list is shipped or shown.
    public static let creditLine = "出典：総務省『都道府県コード及び市区町村コード』（令和6年1月1日更新）を加工して作成"

    /// The bundled list (as of 2024-01-01), loaded once on first use; `static let` makes that thread-safe.
    public static let official: MunicipalityDirectory = {
        guard let url = Bundle.module.url(forResource: "municipalities", withExtension: "csv"),
              let data = try? Data(contentsOf: url)
        else { fatalError("municipalities.csv is missing from the VRSDomain bundle") }
        do {
            return try MunicipalityDirectory(csv: String(decoding: data, as: UTF8.self))
        } catch {
            fatalError("bundled municipalities.csv is invalid: \(error)")
        }
    }()

    /// Every row, in the list's order (prefectures, municipalities and designated-city wards).
    public let entries: [Entry]
    /// Municipalities that can keep a ledger (1,747 in the official list).
    public let tenantEligible: [Entry]
    /// The Northern Territories villages (北方領土の6村): listed, but without a functioning administration.
    public let northernTerritoriesVillages: Set<MunicipalityCode>
    /// Tenant-eligible municipalities that actually operate (1,741 in the official list).
    public let workingTenants: [Entry]
    private let byCode: [MunicipalityCode: Entry]

    /// Builds a directory from CSV text with the header `code,prefecture,name,name_kana,kind`.
    public init(csv: String) throws(ValidationError) {
        entries = try Self.parse(csv)
        byCode = Dictionary(entries.map { ($0.code, $0) }, uniquingKeysWith: { first, _ in first })
        tenantEligible = entries.filter { $0.kind.canBeTenant }
        // The list has no district (郡) column, so the six are found by their code block: Hokkaido
        // villages 01695–01700 (色丹郡色丹村, 国後郡泊村・留夜別村, 択捉郡留別村, 紗那郡紗那村,
        // 蘂取郡蘂取村), the block right after 羅臼町 (016942). Matching by name would also catch
        // 古宇郡泊村 (014036), a working village in 後志.
        let northern = Set(entries.lazy.filter {
            $0.kind == .village && (1695...1700).contains(Int($0.code.rawValue.prefix(5)) ?? 0)
        }.map(\.code))
        northernTerritoriesVillages = northern
        workingTenants = tenantEligible.filter { !northern.contains($0.code) }
    }

    /// The row for `code`, if the list has it.
    public func entry(for code: MunicipalityCode) -> Entry? { byCode[code] }

    /// The row for a code that may own a ledger; fails with `.unknownMunicipality` or `.notATenant(kind)`.
    public func tenant(_ code: MunicipalityCode, field: String = "municipalityCode") throws(ValidationError) -> Entry {
        guard let entry = byCode[code] else {
            throw ValidationError(field: field, rule: .unknownMunicipality)
        }
        guard entry.kind.canBeTenant else {
            throw ValidationError(field: field, rule: .notATenant(entry.kind))
        }
        return entry
    }

    private static func parse(_ csv: String) throws(ValidationError) -> [Entry] {
        var entries: [Entry] = []
        for (index, line) in csv.split(whereSeparator: \.isNewline).enumerated() where index > 0 {
            // Field names like "municipalities.csv line 12" point a maintainer at the bad row.
            let field = "municipalities.csv line \(index + 1)"
            let columns = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard columns.count == 5 else {
                throw ValidationError(field: field, rule: .length(expected: [5], actual: columns.count))
            }
            guard let kind = MunicipalityKind(rawValue: columns[4]) else {
                throw ValidationError(field: field, rule: .notAllowed(position: 5))
            }
            let code = try MunicipalityCode(columns[0], field: field)
            entries.append(Entry(code: code, prefecture: columns[1], name: columns[2], nameKana: columns[3], kind: kind))
        }
        return entries
    }
}
