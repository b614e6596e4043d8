import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import VRSDomain
import VRSStore

/// `GET /v1/statistics/vaccinations`: daily dose counts in the VRS open-data shape (domain.md §3),
/// NDJSON or, with `Accept: text/csv`, CSV, for the caller's scope: the nation (operators,
/// national viewers), one prefecture (its viewers), or the caller's own municipality (staff and
/// admins). Never a person: the door reads the tallies only, and suppresses small
/// municipality-level cells.
struct StatisticsController: Sendable {
    let database: Database

    func addRoutes(to router: Router<AppRequestContext>) {
        router.group("v1/statistics").add(middleware: RequireRole(roles: [.operator, .viewer, .admin, .staff]))
            .get("vaccinations") { request, context in try await vaccinations(request, context) }
    }

    private func vaccinations(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let user = try context.user
        let trace = try context.doorTrace()
        // Checked and audited before the first byte goes out: a refusal after a 200 would be a cut-off
        // file, and an answer the client breaks off was still an access.
        let (scope, query) = try await database.transaction(for: context) { connection in
            let statistics = StatisticsRepository(logger: context.logger)
            let scope = try await statistics.scope(session: user.tokenHash, on: connection)
            let query = try Self.query(request, scope: scope)
            try await statistics.record(query, trace: trace, on: connection)
            return (scope, query)
        }
        let csv = request.headers[.accept].map { $0.lowercased().contains("text/csv") } ?? false
        let format = StatisticsFormat(csv: csv, municipalities: query.grouping == .municipality)
        let database = database
        let body = ResponseBody { writer in
            var buffer = ByteBuffer()
            buffer.writeString(format.header)
            try await database.transaction(for: context) { connection in
                try await StatisticsRepository(logger: context.logger).each(query, trace: trace, on: connection) { cell in
                    buffer.writeString(format.line(cell))
                    if buffer.readableBytes >= 64 * 1024 {
                        try await writer.write(buffer)
                        buffer.clear()
                    }
                }
            }
            try await writer.write(buffer)
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [
            .contentType: csv ? "text/csv; charset=utf-8; header=present" : "application/x-ndjson",
            .cacheControl: "no-store",
            Self.scopeHeader: Self.scopeValue(scope),
        ], body: body)
    }

    /// Whose counts an answer holds, so that a client need not know its caller's scope beforehand.
    static let scopeHeader = HTTPField.Name("VRS-Scope")!

    /// `nation`, `prefecture=NN` or `municipality=NNNNNN`.
    static func scopeValue(_ scope: StatisticsScope) -> String {
        switch scope {
        case .nation: "nation"
        case .prefecture(let code): "prefecture=\(code)"
        case .municipality(let code): "municipality=\(code.rawValue)"
        }
    }

    /// The filters of the request, checked against the caller's scope (403 outside it, 422 for a
    /// malformed value, naming the parameter).
    static func query(_ request: Request, scope: StatisticsScope) throws -> StatisticsQuery {
        var errors: [Problem.FieldError] = []
        func day(_ name: String) throws -> CalendarDate? {
            guard let text = try request.singleQueryValue(name) else { return nil }
            do { return try CalendarDate(text, field: name) } catch {
                errors.append(.init(field: name, code: "malformed", message: "must be a date such as 2021-04-12"))
                return nil
            }
        }
        let from = try day("from")
        let to = try day("to")
        if let from, let to, to < from {
            errors.append(.init(field: "to", code: "out_of_range", message: "must not be before from"))
        }
        let prefecture = try request.singleQueryValue("prefecture")
        if let prefecture, !ViewerController.isPrefecture(prefecture) {
            errors.append(.init(field: "prefecture", code: "malformed", message: "must be a prefecture code, 01 to 47"))
        }
        var grouping: StatisticsGrouping = if case .municipality = scope { .municipality } else { .prefecture }
        if let by = try request.singleQueryValue("by") {
            if let value = StatisticsGrouping(rawValue: by) {
                grouping = value
            } else {
                errors.append(.init(field: "by", code: "not_one_of", message: ValidationRule.notOneOf(StatisticsGrouping.allCases.map(\.rawValue)).message))
            }
        }
        guard errors.isEmpty else { throw AppError.invalid(errors) }
        if let prefecture, let bound = scope.prefecture, prefecture != bound {
            throw AppError.forbidden("your scope is prefecture \(bound); prefecture \(prefecture) is outside it")
        }
        if case .municipality = scope, grouping != .municipality {
            throw AppError.forbidden("a municipality sees its own counts, by municipality")
        }
        return StatisticsQuery(grouping: grouping, prefecture: prefecture, from: from?.description, to: to?.description)
    }
}

/// The two shapes of the answer. Every value is a date, a code, a band label or a number the
/// server made, so no escaping is needed.
struct StatisticsFormat: Sendable {
    let csv: Bool
    let municipalities: Bool

    var header: String {
        guard csv else { return "" }
        return municipalities ? "date,prefecture,municipality,gender,age,medical_worker,status,count\r\n"
                              : "date,prefecture,gender,age,medical_worker,status,count\r\n"
    }

    /// One line, the open data's keys in its order; a suppressed count is `null` (empty in CSV).
    func line(_ cell: DoseCount) -> String {
        let place = municipalities ? (csv ? "\(cell.prefecture),\(cell.municipality ?? "")" : "\"prefecture\":\"\(cell.prefecture)\",\"municipality\":\"\(cell.municipality ?? "")\"")
                                   : (csv ? cell.prefecture : "\"prefecture\":\"\(cell.prefecture)\"")
        if csv {
            return "\(cell.date),\(place),\(cell.gender),\(cell.age),\(cell.medicalWorker),\(cell.dose),\(cell.count.map(String.init) ?? "")\r\n"
        }
        return "{\"date\":\"\(cell.date)\",\(place),\"gender\":\"\(cell.gender)\",\"age\":\"\(cell.age)\","
            + "\"medical_worker\":\(cell.medicalWorker),\"status\":\(cell.dose),\"count\":\(cell.count.map(String.init) ?? "null")}\n"
    }
}
