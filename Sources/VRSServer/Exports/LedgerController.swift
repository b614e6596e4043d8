import Foundation
import Hummingbird
import Logging
import NIOCore
import PostgresNIO
import VRSDomain
import VRSStore

/// `GET /v1/exports/ledger`: the municipality's ledger (接種台帳) as CSV, streamed, in UTF-8 with a
/// BOM (Excel then reads it as UTF-8) or, with `?charset=shift_jis`, in CP932.
struct LedgerController: Sendable {
    let database: Database

    static let header = ["宛名番号", "氏名", "氏名カナ", "生年月日", "性別", "券番号", "接種回数", "接種日", "ワクチン", "ロット番号",
                         "接種会場", "医師名", "登録区分", "フラグ", "記録ID"]

    func addRoutes(to router: Router<AppRequestContext>) {
        let staff = router.group("v1/exports").add(middleware: RequireRole(roles: [.staff, .admin]))
        staff.get("ledger") { request, context in
            guard let municipality = try context.user.municipality else { throw AppError.forbidden("only municipal staff export their ledger") }
            let charset = try request.singleQueryValue("charset")?.lowercased() ?? "utf-8"
            guard ["utf-8", "shift_jis"].contains(charset) else {
                throw AppError.invalid([.init(field: "charset", code: "not_one_of", message: ValidationRule.notOneOf(["utf-8", "shift_jis"]).message)])
            }
            // The export is audited before a byte goes out, in a transaction of its own: an
            // export cut off half-way was still an access.
            try await database.transaction(for: context) { connection in
                try await AuditLog(logger: context.logger).append(
                    context.event("ledger.export", target: nil, details: ["charset": charset]), on: connection)
            }
            let database = database
            let body = ResponseBody { writer in
                let encoder = charset == "shift_jis" ? CP932Encoder() : nil
                var buffer = ByteBuffer()
                func add(_ fields: [String]) {
                    let record = CSVWriter.record(fields)
                    if let encoder { buffer.writeBytes(encoder.encode(record)) } else { buffer.writeString(record) }
                }
                if encoder == nil { buffer.writeBytes([0xEF, 0xBB, 0xBF]) }
                add(Self.header)
                _ = try await database.transaction(for: context) { connection in
                    try await LedgerExport(logger: context.logger).each(in: municipality, on: connection) { line in
                        add(Self.fields(line))
                        if buffer.readableBytes >= 64 * 1024 {
                            try await writer.write(buffer)
                            buffer.clear()
                        }
                    }
                }
                try await writer.write(buffer)
                try await writer.finish(nil)
            }
            let name = "ledger-\(municipality.rawValue)-\(CalendarDate.today()).csv"
            return Response(status: .ok, headers: [
                .contentType: "text/csv; charset=\(charset == "shift_jis" ? "Shift_JIS" : "utf-8"); header=present",
                .contentDisposition: "attachment; filename=\"\(name)\"",
            ], body: body)
        }
    }

    /// A line in the header's order; sex in the resident register's codes (1 male, 2 female, 9 unknown).
    static func fields(_ line: LedgerLine) -> [String] {
        let sex = ["M": "1", "F": "2", "U": "9"][line.sex ?? ""] ?? ""
        return [line.addressNumber ?? "", line.name ?? "", line.nameKana ?? "", line.birthDate ?? "", sex, line.couponNumber ?? "",
                String(line.dose), line.vaccinatedOn, line.product, line.lotNumber, line.siteName ?? "", line.doctorName ?? "",
                line.source, line.flags.joined(separator: " "), line.vaccinationID.uuidString.lowercased()]
    }
}
