import Foundation
import Logging
import PostgresNIO
import VRSDomain

/// One provision record (情報提供等記録) as a side sees it: who asked whom, when, why, what came of it.
public struct ProvisionRecord: Sendable, Equatable {
    public var inquiryID: UUID
    public var requestedAt: Date
    public var requesterCode: String
    public var providerCode: String
    /// The asking user (a user ID of the asking municipality).
    public var accountID: String?
    public var purpose: String?
    public var kind: String
    public var found: Bool
    public var records: Int
    public var copied: Int
    public var batchID: UUID?
}

/// Inquiries per Japan day and pair of municipalities: all operators see of provisions.
public struct ProvisionDailyCount: Sendable, Equatable {
    public var day: String
    public var requesterCode: String
    public var providerCode: String
    public var inquiries: Int
    public var found: Int
    public var records: Int
}

/// Reads provision records: the caller's own partition (both directions live there) or the daily
/// counts for operators.
public struct ProvisionRecords: Sendable {
    /// Who asked us (`inbound`) or whom we asked (`outbound`).
    public enum Direction: String, Sendable, CaseIterable { case inbound, outbound }

    let logger: Logger

    /// Reads logging to `logger`.
    public init(logger: Logger) { self.logger = logger }

    /// Newest first, in [from, to), after the record `after` (the last one of the previous page).
    public func list(_ direction: Direction, in municipality: MunicipalityCode, from: Date?, to: Date?,
                     after: UUID?, limit: Int, on connection: PostgresConnection) async throws -> [ProvisionRecord] {
        let side = direction == .inbound ? "provider_code" : "requester_code"
        let rows = try await connection.query(
            """
            SELECT provision_id, requested_at, requester_code::text, provider_code::text, account_id, purpose_code, kind,
                   outcome, record_count, copied_count, batch_id
              FROM vrs.provision_record
             WHERE municipality_code = \(municipality) AND \(unescaped: side) = \(municipality)
               AND (\(from)::timestamptz IS NULL OR requested_at >= \(from))
               AND (\(to)::timestamptz IS NULL OR requested_at < \(to))
               AND (\(after)::uuid IS NULL OR (requested_at, provision_id) < (
                    SELECT c.requested_at, c.provision_id FROM vrs.provision_record c
                     WHERE c.municipality_code = \(municipality) AND c.provision_id = \(after)))
             ORDER BY requested_at DESC, provision_id DESC
             LIMIT \(limit)
            """, logger: logger)
        var records: [ProvisionRecord] = []
        for try await (id, at, requester, provider, account, purpose, kind, outcome, count, copied, batch)
            in rows.decode((UUID, Date, String, String, String?, String?, String, String, Int, Int, UUID?).self) {
            records.append(ProvisionRecord(inquiryID: id, requestedAt: at, requesterCode: requester, providerCode: provider,
                                           accountID: account, purpose: purpose, kind: kind, found: outcome == "found",
                                           records: count, copied: copied, batchID: batch))
        }
        return records
    }

    /// Daily counts in [from, to] (Japan days), optionally of one municipality on either side.
    public func daily(from: CalendarDate?, to: CalendarDate?, municipality: MunicipalityCode?, limit: Int,
                      on connection: PostgresConnection) async throws -> [ProvisionDailyCount] {
        let rows = try await connection.query(
            """
            SELECT day::text, requester_code::text, provider_code::text, inquiries, found, records
              FROM vrs.provision_daily
             WHERE (\(from?.description)::date IS NULL OR day >= \(from?.description)::date)
               AND (\(to?.description)::date IS NULL OR day <= \(to?.description)::date)
               AND (\(municipality?.rawValue)::char(6) IS NULL OR \(municipality?.rawValue)::char(6) IN (requester_code, provider_code))
             ORDER BY day DESC, requester_code, provider_code
             LIMIT \(limit)
            """, logger: logger)
        var counts: [ProvisionDailyCount] = []
        for try await (day, requester, provider, inquiries, found, records) in rows.decode((String, String, String, Int, Int, Int).self) {
            counts.append(ProvisionDailyCount(day: day, requesterCode: requester, providerCode: provider, inquiries: inquiries,
                                              found: found, records: records))
        }
        return counts
    }
}
