import Foundation
import Hummingbird
import Logging
import PostgresNIO
import VRSDomain
import VRSStore

/// `POST /v1/transfer-inquiries/batches` (a CSV of numbers and previous municipalities, all or
/// nothing) and `GET …/batches/{id}` (progress, then the answers as JSON or CSV).
struct TransferBatchRoutes: Sendable {
    let database: Database
    let keyRing: KeyRing
    let maxImportSize: Int
    let retention: Duration

    /// The result file's columns: one row per provided dose (a line found with no dose, or not
    /// found, has one row). The uploaded number is not in it: it was deleted once asked.
    static let resultHeader = ["行", "転出元市区町村コード", "個人ID", "照会結果", "照会ID", "取込件数", "接種回数", "接種日", "券番号",
                               "接種自治体コード", "ワクチン", "ロット番号", "接種会場", "医師名"]

    func submit(_ request: Request, context: AppRequestContext) async throws -> Response {
        let user = try context.user
        guard let municipality = user.municipality else { throw AppError.forbidden("only municipal staff ask other municipalities") }
        let purpose: String?
        do { purpose = try TransferController.purpose(try request.singleQueryValue("purpose")) } catch let error as Problem.FieldError {
            throw AppError.invalid([error])
        }
        let upload = try CSVUpload<TransferInquiryColumn>(request: request, limit: maxImportSize)
        struct Asked: Hashable { let provider: MunicipalityCode; let number: IndividualNumber }
        var lines: [TransferBatchLine] = []
        var seen: [Asked: Int] = [:]
        var headerNames: [TransferInquiryColumn: String] = [:]
        let summary = try await upload.read { record, fields, layout in
            headerNames = layout.headerName
            guard lines.count < Self.maxLines else {
                throw AppError.invalid([.init(field: "file", code: "too_many_lines",
                                              message: "a batch holds at most \(Self.maxLines) lines: split the file")])
            }
            let (line, errors) = Self.parse(fields, line: record.line, layout: layout, own: municipality)
            guard let line else { return errors }
            let asked = Asked(provider: line.provider, number: line.number)
            if let first = seen[asked] {
                return [LineError(line: record.line, column: layout.name(.personalNumber), rule: .duplicate(ofLine: first))]
            }
            seen[asked] = record.line
            lines.append(line)
            return []
        }
        seen.removeAll()
        guard summary.errors.isEmpty else { throw AppError.invalidFile(summary.errors, truncated: summary.truncated) }
        let actor = ActorLabels(actorID: user.userID, actorRole: user.role.rawValue, requestID: context.requestID)
        let batch: UUID
        do {
            batch = try await database.transaction(for: context) { connection in
                let cipher = try await keyRing.activeCipher(for: municipality, on: connection, logger: context.logger)
                return try await TransferBatches(logger: context.logger)
                    .submit(lines, purpose: purpose, retention: retention, cipher: cipher, actor: actor, on: connection)
            }
        } catch StoreError.transferRefused(let refusal, let message, let hint, let detail)
                    where refusal == .route || refusal == .person {
            // The door names the line and the column; the file's own header spells the column.
            let column = hint.flatMap { TransferInquiryColumn(rawValue: $0) }.flatMap { headerNames[$0] } ?? hint ?? "file"
            let line = detail.flatMap { Int($0) } ?? 0
            throw AppError.invalid([.init(field: "line \(line): \(column)", code: refusal == .route ? "unavailable" : "unknown_person",
                                          message: message, line: line, column: column)])
        } catch StoreError.transferRefused(.purpose, let message, _, _) {
            throw AppError.invalid([.init(field: "purpose", code: "not_allowed", message: message)])
        }
        struct Accepted: Encodable { let batchId: String; let lines: Int; let status: String }
        var response = try JSONEncoder.response(Accepted(batchId: batch.uuidString.lowercased(), lines: lines.count, status: "pending"),
                                                status: .accepted)
        response.headers[.location] = "/v1/transfer-inquiries/batches/\(batch.uuidString.lowercased())"
        return response
    }

    /// Lines a batch may hold (the door's limit too).
    static let maxLines = 100_000

    /// One data line of the file, or what is wrong with it (the number named by its rule only).
    static func parse(_ fields: [String], line: Int, layout: ColumnLayout<TransferInquiryColumn>,
                      own: MunicipalityCode) -> (TransferBatchLine?, [LineError]) {
        var errors: [LineError] = []
        func required(_ column: TransferInquiryColumn) -> String? {
            guard let text = layout.value(column, in: fields) else {
                errors.append(LineError(line: line, column: layout.name(column), rule: .empty))
                return nil
            }
            return text
        }
        var number: IndividualNumber?
        var provider: MunicipalityCode?
        var person: UUID?
        if let text = required(.personalNumber) {
            do { number = try IndividualNumber(text) } catch {
                errors.append(LineError(line: line, column: layout.name(.personalNumber), rule: error.rule))
            }
        }
        if let text = required(.previousMunicipalityCode) {
            do {
                let code = try MunicipalityCode(text)
                if code == own {
                    errors.append(LineError(line: line, column: layout.name(.previousMunicipalityCode),
                                            rule: .conflict("the caller's own municipality: look the person up in your ledger instead")))
                } else {
                    provider = code
                }
            } catch {
                errors.append(LineError(line: line, column: layout.name(.previousMunicipalityCode), rule: error.rule))
            }
        }
        if let text = layout.value(.personID, in: fields) {
            person = UUID(uuidString: text)
            if person == nil { errors.append(LineError(line: line, column: layout.name(.personID), rule: .malformed(expected: "a person id (UUID)"))) }
        }
        guard errors.isEmpty, let number, let provider else { return (nil, errors) }
        return (TransferBatchLine(line: line, provider: provider, number: number, person: person), [])
    }

    func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let municipality = try context.user.municipality else { throw AppError.forbidden("only municipal staff ask other municipalities") }
        guard let id = UUID(uuidString: try context.parameters.require("batchId")) else { throw AppError.notFound("no such batch: batch ids are UUIDs") }
        let wantsCSV = request.headers[.accept]?.lowercased().contains("text/csv") == true
        let charset = try CSVDownload.charset(request)
        let after = try request.singleQueryValue("after").map { text in
            guard let value = Int(text), value >= 0 else {
                throw AppError.invalid([.init(field: "after", code: "malformed", message: "a line number (0 or more)")])
            }
            return value
        } ?? 0
        let limit = try request.pageLimit()
        let batches = TransferBatches(logger: context.logger)
        let (batch, results) = try await database.transaction(for: context) { connection in
            guard let batch = try await batches.status(id, in: municipality, on: connection) else {
                return (TransferBatchStatus?.none, [TransferBatchResult]())
            }
            let results = batch.status == "done" && !wantsCSV
                ? try await batches.results(id, in: municipality, after: after, limit: limit + 1, on: connection) : []
            // Reading the answers is an access to personal data; polling the progress is not.
            if batch.status == "done" {
                try await AuditLog(logger: context.logger).append(
                    context.event("transfer.batch_read", target: ("transfer_batch", id.uuidString.lowercased()),
                                  details: ["format": wantsCSV ? "csv" : "json"]), on: connection)
            }
            return (batch, results)
        }
        guard let batch else { throw AppError.notFound("no batch \(id.uuidString.lowercased()) in your municipality") }
        if batch.status == "expired" {
            throw AppError.gone("batch \(id.uuidString.lowercased()) expired: its numbers and answers were deleted after the retention period")
        }
        guard wantsCSV else {
            let more = results.count > limit
            let page = Array(results.prefix(limit))
            return try JSONEncoder.response(TransferBatchView(batch, results: batch.status == "done" ? page : nil,
                                                              nextAfter: more ? page.last?.line : nil))
        }
        guard batch.status == "done" else {
            throw AppError.conflict("batch \(id.uuidString.lowercased()) is \(batch.status): \(batch.answered) of \(batch.lines) lines answered so far")
        }
        return csv(batch, municipality: municipality, charset: charset, context: context)
    }

    /// The answers as a file, streamed page by page.
    private func csv(_ batch: TransferBatchStatus, municipality: MunicipalityCode, charset: CSVDownload.Charset,
                     context: AppRequestContext) -> Response {
        let database = database
        return CSVDownload.response(name: "transfer-batch-\(batch.id.uuidString.lowercased()).csv", charset: charset,
                                    header: Self.resultHeader) { add in
            var after = 0
            while true {
                let page = try await database.transaction(for: context) { connection in
                    try await TransferBatches(logger: context.logger).results(batch.id, in: municipality, after: after, limit: 1000, on: connection)
                }
                for result in page {
                    let head = [String(result.line), result.provider, result.personID?.uuidString.lowercased() ?? "",
                                result.found == true ? "found" : "not_found", result.inquiryID?.uuidString.lowercased() ?? "", String(result.copied)]
                    if result.records.isEmpty { try await add(head + Array(repeating: "", count: 8)) }
                    for dose in result.records {
                        try await add(head + [String(dose.dose), dose.vaccinatedOn, dose.couponNumber ?? "", dose.municipalityCode, dose.product,
                                              dose.lotNumber, dose.siteName ?? "", dose.doctorName ?? ""])
                    }
                }
                guard page.count == 1000, let last = page.last else { break }
                after = last.line
            }
        }
    }
}
