import Foundation
import Hummingbird
import Logging
import PostgresNIO
import VRSDomain
import VRSStore

/// `POST /v1/vaccinations/import`: OCR-read forms, each line through the staff door, all in one
/// transaction. Every line is checked in Swift first (code, municipality, product, dates,
/// lengths), so a bad line is reported with the others instead of aborting the transaction.
struct VaccinationImportRoute: Sendable {
    let database: Database
    let maxImportSize: Int

    struct Counts: Codable, Equatable { var recorded = 0; var pending = 0; var duplicate = 0 }

    func handle(_ request: Request, context: AppRequestContext) async throws -> Response {
        let user = try context.user
        guard let municipality = user.municipality else { throw AppError.forbidden("only municipal staff record doses") }
        let key = try IdempotencyKey(request)
        let upload = try CSVUpload<VaccinationImportColumn>(request: request, limit: maxImportSize)
        let today = CalendarDate.today()
        let repository = VaccinationRepository(logger: context.logger)
        let receipts = ImportReceipts(logger: context.logger)
        let counts: Counts = try await database.transaction(for: context) { connection in
            let products = try await repository.products(on: connection)
            var counts = Counts()
            var failed = false
            // A keyed retry is answered from its receipt below; its lines are only read.
            let replay = if let key { try await receipts.exists(key, kind: .vaccinations, in: municipality, on: connection) } else { false }
            let summary = try await upload.read { record, fields, layout in
                let (report, errors) = Self.parse(fields, line: record.line, layout: layout, municipality: municipality, products: products, today: today)
                guard errors.isEmpty, let report, !failed else {
                    failed = failed || !errors.isEmpty
                    return errors
                }
                if !replay {
                    let outcome = try await repository.recordByStaff(report, source: "import", actor: user.userID, requestID: context.requestID, on: connection)
                    switch outcome.result {
                    case "recorded": counts.recorded += 1
                    case "pending_registration": counts.pending += 1
                    default: counts.duplicate += 1
                    }
                }
                return []
            }
            guard summary.errors.isEmpty else { throw AppError.invalidFile(summary.errors, truncated: summary.truncated) }
            if let key {
                if let stored: Counts = try await receipts.find(key, kind: .vaccinations, sha256: summary.sha256, in: municipality, on: connection) {
                    return stored
                }
                try await receipts.store(counts, key: key, kind: .vaccinations, sha256: summary.sha256, actor: user.userID, in: municipality, on: connection)
            }
            try await AuditLog(logger: context.logger).append(
                context.event("vaccination.import", target: ("municipality", municipality.rawValue), details: [
                    "lines": String(summary.lines), "recorded": String(counts.recorded), "pending": String(counts.pending),
                    "duplicate": String(counts.duplicate),
                ]), on: connection)
            return counts
        }
        return try JSONEncoder.response(counts)
    }

    static func parse(
        _ fields: [String], line: Int, layout: ColumnLayout<VaccinationImportColumn>, municipality: MunicipalityCode,
        products: [String: CalendarDate], today: CalendarDate
    ) -> (DoseReport?, [LineError]) {
        var errors: [LineError] = []
        let name = layout.name
        let value = { (column: VaccinationImportColumn) in layout.value(column, in: fields) }
        var code: CouponCode?
        if let text = value(.couponCode) {
            do {
                let parsed = try CouponCode(text, field: name(.couponCode))
                if parsed.municipality == municipality { code = parsed } else {
                    errors.append(LineError(line: line, column: name(.couponCode), rule: .otherMunicipality))
                }
            } catch { errors.append(LineError(line: line, column: name(.couponCode), rule: error.rule)) }
        } else { errors.append(LineError(line: line, column: name(.couponCode), rule: .empty)) }
        var date: CalendarDate?
        if let text = value(.vaccinatedOn) {
            do { date = try CalendarDate(text, field: name(.vaccinatedOn)) } catch { errors.append(LineError(line: line, column: name(.vaccinatedOn), rule: error.rule)) }
        } else { errors.append(LineError(line: line, column: name(.vaccinatedOn), rule: .empty)) }
        let product = value(.product) ?? ""
        if let approved = products[product] {
            if let day = date, day > today { errors.append(LineError(line: line, column: name(.vaccinatedOn), rule: .future)) }
            else if let day = date, day < approved { errors.append(LineError(line: line, column: name(.vaccinatedOn), rule: .tooEarly("the product's approval on \(approved)"))) }
        } else {
            errors.append(LineError(line: line, column: name(.product), rule: .notOneOf(products.keys.sorted())))
        }
        let lot = value(.lotNumber) ?? ""
        let site = value(.siteName)
        let doctor = value(.doctorName)
        let columns: [String: VaccinationImportColumn] = ["lotNumber": .lotNumber, "siteName": .siteName, "doctorName": .doctorName]
        for problem in DoseLimits.check(lotNumber: lot, siteName: site, doctorName: doctor) {
            errors.append(LineError(line: line, column: name(columns[problem.field]!), rule: problem.rule))
        }
        guard errors.isEmpty, let code, let date else { return (nil, errors) }
        return (DoseReport(couponCode: code.rawValue, vaccinatedOn: date, product: product, lotNumber: lot, siteName: site,
                           doctorName: doctor, clientRecordID: nil), [])
    }
}
