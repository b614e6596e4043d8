import Foundation
import Logging
import PostgresNIO
import VRSDomain

/// Whose counts a caller may see (migration 0015): the nation, one prefecture, or one municipality.
public enum StatisticsScope: Sendable, Equatable {
    case nation
    case prefecture(String)
    case municipality(MunicipalityCode)

    /// The prefecture the scope is bounded by, if any.
    public var prefecture: String? {
        switch self {
        case .nation: nil
        case .prefecture(let code): code
        case .municipality(let code): String(code.rawValue.prefix(2))
        }
    }
}

/// What one line of the statistics answers for: a prefecture, or a municipality (small cells suppressed).
public enum StatisticsGrouping: String, Sendable, CaseIterable {
    case prefecture
    case municipality
}

/// A question to the statistics door; the dates are inclusive calendar days (YYYY-MM-DD).
public struct StatisticsQuery: Sendable, Equatable {
    public var grouping: StatisticsGrouping
    public var prefecture: String?
    public var from: String?
    public var to: String?

    /// Gathers the filters; nil leaves that side open.
    public init(grouping: StatisticsGrouping, prefecture: String? = nil, from: String? = nil, to: String? = nil) {
        self.grouping = grouping
        self.prefecture = prefecture
        self.from = from
        self.to = to
    }
}

/// One cell of the VRS open data: doses of one day, place, sex, age band and dose number.
public struct DoseCount: Sendable, Equatable {
    public let date: String
    public let prefecture: String
    /// Set on municipality-level cells.
    public let municipality: String?
    public let gender: String
    public let age: String
    public let medicalWorker: Bool
    public let dose: Int
    /// Nil when the cell is suppressed (fewer doses than the threshold, or the one that would give it away).
    public let count: Int?
}

/// Reads the dose counts through the statistics door, which checks the caller's scope from its
/// session: no table is read directly, and no personal row is touched.
public struct StatisticsRepository: Sendable {
    let logger: Logger

    /// A repository logging to `logger`.
    public init(logger: Logger) { self.logger = logger }

    /// The scope of the live session whose token hashes to `session`.
    public func scope(session: Data, on connection: PostgresConnection) async throws -> StatisticsScope {
        do {
            let rows = try await connection.query(
                    "SELECT kind, prefecture::text, municipality_code::text FROM vrs.statistics_scope(\(session))", logger: logger)
            var scope = StatisticsScope.nation
            for try await (kind, prefecture, municipality) in rows.decode((String, String?, String?).self) {
                switch (kind, prefecture, municipality) {
                case ("municipality", _, let code?): scope = .municipality(try MunicipalityCode(code))
                case ("prefecture", let code?, _): scope = .prefecture(code)
                default: scope = .nation
                }
            }
            return scope
        } catch {
            throw translated(error)
        }
    }

    /// Audits the question under the session's user (`statistics.read`), after the door has checked
    /// it against the session's scope: called before the answer's first byte.
    public func record(_ query: StatisticsQuery, trace: AccountRequestRepository.Trace, on connection: PostgresConnection) async throws {
        do {
            try await connection.perform(
                """
                SELECT vrs.record_statistics_read(\(trace.session), \(query.grouping.rawValue), \(query.prefecture)::char(2),
                                                  \(query.from)::date, \(query.to)::date, \(trace.requestID), \(trace.clientAddress))
                """,
                logger: logger)
        } catch {
            throw translated(error)
        }
    }

    /// Hands every cell the query asks for, in date order, to `body` (streamed, not collected);
    /// the door checks the question against the scope of `trace.session`.
    public func each(_ query: StatisticsQuery, trace: AccountRequestRepository.Trace, on connection: PostgresConnection,
                     _ body: (DoseCount) async throws -> Void) async throws {
        do {
            try await eachRow(query, trace: trace, on: connection, body)
        } catch {
            throw translated(error)
        }
    }

    private func eachRow(_ query: StatisticsQuery, trace: AccountRequestRepository.Trace, on connection: PostgresConnection,
                         _ body: (DoseCount) async throws -> Void) async throws {
        let rows = try await connection.query(
            """
            SELECT to_char(vaccinated_on, 'YYYY-MM-DD'), prefecture::text, municipality_code::text, sex::text, age_band,
                   medical_worker, dose::int, doses
              FROM vrs.vaccination_statistics(\(trace.session), \(query.grouping.rawValue), \(query.prefecture)::char(2),
                                              \(query.from)::date, \(query.to)::date)
            """,
            logger: logger)
        for try await (date, prefecture, municipality, sex, age, worker, dose, count)
            in rows.decode((String, String, String?, String, String, Bool, Int, Int32?).self) {
            try await body(DoseCount(date: date, prefecture: prefecture, municipality: municipality, gender: sex, age: age,
                                     medicalWorker: worker, dose: dose, count: count.map(Int.init)))
        }
    }

    /// The age band labels in order, `UNK` last.
    public func ageBands(on connection: PostgresConnection) async throws -> [String] {
        var bands: [String] = []
        for try await label in try await connection.query("SELECT vrs.statistics_age_bands()", logger: logger).decode(String.self) {
            bands.append(label)
        }
        return bands + ["UNK"]
    }
}
