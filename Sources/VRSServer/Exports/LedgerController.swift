import Foundation
import Hummingbird
import Logging
import PostgresNIO
import VRSDomain
import VRSStore

/// `GET /v1/exports/ledger`: the municipality's ledger (予防接種台帳向け出力) as CSV, streamed: by
/// default one row per person in the VRS shape (address number, then a group per dose), with
/// `?layout=doses` one row per dose with the person's name; `?since=` only people changed since.
/// `GET /v1/exports/pending`: the pending list (接種対象者登録待ちリスト). Every export is audited.
struct LedgerController: Sendable {
    let database: Database

    /// The columns of one dose group in the VRS shape (domain.md §3).
    static let doseGroup = ["登録日時", "接種日", "券番号", "接種自治体コード", "接種会場名", "接種医師名", "ワクチンメーカー", "ロット番号"]
    static let doseHeader = ["宛名番号", "氏名", "氏名カナ", "生年月日", "性別", "券番号", "接種回数", "接種日", "ワクチン", "ロット番号",
                             "接種会場", "医師名", "登録区分", "フラグ", "記録ID"]
    static let pendingHeader = ["券番号", "接種回数", "接種日", "ワクチン", "ロット番号", "接種会場", "医師名", "フラグ", "登録日時", "記録ID"]

    func addRoutes(to router: Router<AppRequestContext>) {
        let staff = router.group("v1/exports").add(middleware: RequireRole(roles: [.staff, .admin]))
        staff.get("ledger") { request, context in try await ledger(request, context: context) }
        staff.get("pending") { request, context in
            let municipality = try Self.municipality(context)
            let charset = try CSVDownload.charset(request)
            try await audit("pending.export", context: context, details: ["charset": charset.rawValue])
            let database = database
            return CSVDownload.response(name: "pending-\(municipality.rawValue)-\(CalendarDate.today()).csv", charset: charset,
                                        header: Self.pendingHeader) { add in
                try await database.transaction(for: context) { connection in
                    try await VaccinationRepository(logger: context.logger).eachPending(in: municipality, on: connection) { dose in
                        try await add([dose.couponNumber ?? "", String(dose.dose), dose.vaccinatedOn, dose.product, dose.lotNumber,
                                       dose.siteName ?? "", dose.doctorName ?? "", dose.flags.joined(separator: " "),
                                       Self.timestamp(dose.recordedAt), dose.vaccinationId.uuidString.lowercased()])
                    }
                }
            }
        }
    }

    private func ledger(_ request: Request, context: AppRequestContext) async throws -> Response {
        let municipality = try Self.municipality(context)
        let charset = try CSVDownload.charset(request)
        let layout = try request.singleQueryValue("layout") ?? "person"
        guard ["person", "doses"].contains(layout) else {
            throw AppError.invalid([.init(field: "layout", code: "not_one_of", message: ValidationRule.notOneOf(["person", "doses"]).message)])
        }
        let since = try request.instant("since")
        if since != nil, layout == "doses" {
            throw AppError.invalid([.init(field: "since", code: "not_allowed", message: "since applies to the person layout")])
        }
        // Audited before a byte goes out, in a transaction of its own: an export cut off half-way was still an access.
        try await audit("ledger.export", context: context, details: ["charset": charset.rawValue, "layout": layout,
                                                                     "since": since.map { "\($0)" } ?? "all"])
        let name = "ledger-\(municipality.rawValue)-\(CalendarDate.today()).csv"
        let database = database
        let export = LedgerExport(logger: context.logger)
        if layout == "doses" {
            return CSVDownload.response(name: name, charset: charset, header: Self.doseHeader) { add in
                _ = try await database.transaction(for: context) { connection in
                    try await export.each(in: municipality, on: connection) { try await add(Self.fields($0)) }
                }
            }
        }
        let groups = try await database.transaction(for: context) { try await export.maxDoses(in: municipality, on: $0) }
        let header = ["宛名番号"] + (0..<max(groups, 1)).flatMap { n in Self.doseGroup.map { "\($0)\(n + 1)" } }
        return CSVDownload.response(name: name, charset: charset, header: header) { add in
            _ = try await database.transaction(for: context) { connection in
                try await export.eachPerson(in: municipality, since: since, on: connection) { person in
                    var row = [person.addressNumber] + person.doses.flatMap {
                        [$0.registeredAt, $0.vaccinatedOn, $0.couponNumber ?? "", $0.municipalityCode, $0.siteName ?? "", $0.doctorName ?? "",
                         $0.maker, $0.lotNumber]
                    }
                    // Every row as wide as the header, so that a spreadsheet lines the groups up.
                    if row.count < header.count { row += Array(repeating: "", count: header.count - row.count) }
                    try await add(row)
                }
            }
        }
    }

    private func audit(_ action: String, context: AppRequestContext, details: [String: String]) async throws {
        try await database.transaction(for: context) { connection in
            try await AuditLog(logger: context.logger).append(context.event(action, target: nil, details: details), on: connection)
        }
    }

    static func municipality(_ context: AppRequestContext) throws -> MunicipalityCode {
        guard let municipality = try context.user.municipality else { throw AppError.forbidden("only municipal staff export their ledger") }
        return municipality
    }

    /// YYYYMMDDHHMMSS in Japan time, as the ledger's 登録日時.
    static func timestamp(_ date: Date) -> String {
        let c = Calendar.japan.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d%02d%02d%02d%02d%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
    }

    /// A line in the dose layout's order; sex in the resident register's codes (1 male, 2 female, 9 unknown).
    static func fields(_ line: LedgerLine) -> [String] {
        let sex = ["M": "1", "F": "2", "U": "9"][line.sex ?? ""] ?? ""
        return [line.addressNumber ?? "", line.name ?? "", line.nameKana ?? "", line.birthDate ?? "", sex, line.couponNumber ?? "",
                String(line.dose), line.vaccinatedOn, line.product, line.lotNumber, line.siteName ?? "", line.doctorName ?? "",
                line.source, line.flags.joined(separator: " "), line.vaccinationID.uuidString.lowercased()]
    }
}
