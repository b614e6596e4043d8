import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PostgresNIO
import VRSDomain
import VRSStore

/// `POST /v1/persons/import`: a registration file, all or nothing, in one transaction.
struct PersonImportRoute: Sendable {
    let database: Database
    let keyRing: KeyRing
    let maxImportSize: Int

    func handle(_ request: Request, context: AppRequestContext) async throws -> Response {
        let user = try context.user
        guard let municipality = user.municipality else { throw AppError.forbidden("only municipal staff register targets") }
        let key = try IdempotencyKey(request)
        let upload = try CSVUpload<PersonImportColumn>(request: request, limit: maxImportSize)
        let today = CalendarDate.today()
        let importer = PersonImport(keyRing: keyRing, logger: context.logger)
        let receipts = ImportReceipts(logger: context.logger)
        let counts: PersonImportCounts = try await database.transaction(for: context) { connection in
            try await importer.lock(municipality, on: connection)
            var summary: CSVUpload<PersonImportColumn>.Summary?
            let keyVersion = try await importer.stage(municipality, on: connection) { staging in
                summary = try await upload.read { record, fields, layout in
                    let (registration, errors) = PersonRegistration.parse(
                        fields, line: record.line, layout: layout, municipality: municipality, today: today)
                    if let registration { try await staging.append(registration, line: record.line) }
                    return errors
                }
            }
            guard let summary else { throw AppError.badRequest("the file could not be read") }
            if summary.errors.isEmpty, let key,
               let stored: PersonImportCounts = try await receipts.find(key, kind: .persons, sha256: summary.sha256, in: municipality, on: connection) {
                return stored
            }
            // Repeats inside the file and contradictions with the ledger, found over the staged valid
            // lines, are listed together with the lines that failed on their own.
            let limit = CSVUpload<PersonImportColumn>.maxReportedErrors
            let conflicts = summary.truncated ? [] : try await importer.conflicts(municipality, limit: limit, on: connection)
                .map { LineError(line: $0.line, column: $0.column.rawValue, rule: $0.rule) }
            let errors = (summary.errors + conflicts).sorted { ($0.line, $0.column) < ($1.line, $1.column) }
            guard errors.isEmpty else {
                throw AppError.invalidFile(Array(errors.prefix(limit)), truncated: summary.truncated || errors.count > limit)
            }
            let counts = try await importer.apply(municipality, keyVersion: keyVersion, on: connection)
            if let key { try await receipts.store(counts, key: key, kind: .persons, sha256: summary.sha256, actor: user.userID, in: municipality, on: connection) }
            try await AuditLog(logger: context.logger).append(
                context.event("person.import", target: ("municipality", municipality.rawValue), details: [
                    "lines": String(summary.lines), "inserted": String(counts.inserted), "updated": String(counts.updated),
                    "unchanged": String(counts.unchanged), "couponsIssued": String(counts.couponsIssued),
                    "couponsSuperseded": String(counts.couponsSuperseded), "pendingLinked": String(counts.pendingLinked),
                ]), on: connection)
            return counts
        }
        return try JSONEncoder.response(counts)
    }
}

/// The client's `Idempotency-Key` header: 1–64 printable ASCII characters.
struct IdempotencyKey: Sendable, CustomStringConvertible {
    var description: String { value }
    let value: String

    init?(_ request: Request) throws {
        guard let text = request.headers[HTTPField.Name("Idempotency-Key")!] else { return nil }
        guard (1...64).contains(text.utf8.count), text.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw AppError.badRequest("Idempotency-Key must be 1–64 printable ASCII characters", field: "Idempotency-Key")
        }
        value = text
    }
}
