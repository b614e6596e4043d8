import Foundation
import Logging
import PostgresNIO
import VRSDomain

/// One change of a person, coupon or dose as the trace of migration 0012 wrote it.
public struct RecordChange: Sendable, Equatable {
    public var changeID: Int64
    public var changedAt: Date
    public var action: String
    public var recordType: String
    public var recordID: UUID
    public var reason: String?
    public var actorID: String?
    public var actorRole: String?
    /// The changed columns' values before and after, as JSON objects keyed by column name.
    public var oldValues: String
    public var newValues: String
}

/// Reads the history: every change of a person, of their coupons and of their doses (those that
/// are theirs now, and those moved away from them), oldest first.
public struct RecordHistory: Sendable {
    let logger: Logger

    /// A reader logging to `logger`.
    public init(logger: Logger) { self.logger = logger }

    /// Up to `limit` changes after the change `after` (a cursor: the last change id of the previous page).
    public func changes(of personID: UUID, in municipality: MunicipalityCode, after: Int64, limit: Int,
                        on connection: PostgresConnection) async throws -> [RecordChange] {
        let rows = try await connection.query(
            """
            SELECT rc.change_id, rc.changed_at, rc.action, rc.record_type, rc.record_id, rc.reason, rc.actor_id, rc.actor_role,
                   rc.old_values::text, rc.new_values::text
              FROM vrs.record_change rc
             WHERE rc.municipality_code = \(municipality) AND rc.change_id > \(after)
               AND (rc.person_ids @> ARRAY[\(personID)]::uuid[]
                    OR (rc.record_type = 'vaccination' AND rc.record_id IN (
                            SELECT v.vaccination_id FROM vrs.vaccination v WHERE v.municipality_code = \(municipality) AND v.person_id = \(personID)))
                    OR (rc.record_type = 'coupon' AND rc.record_id IN (
                            SELECT c.coupon_id FROM vrs.coupon c WHERE c.municipality_code = \(municipality) AND c.person_id = \(personID))))
             ORDER BY rc.change_id
             LIMIT \(limit)
            """, logger: logger)
        var result: [RecordChange] = []
        for try await (id, at, action, type, record, reason, actor, role, old, new) in rows.decode(
            (Int64, Date, String, String, UUID, String?, String?, String?, String, String).self) {
            result.append(RecordChange(changeID: id, changedAt: at, action: action, recordType: type, recordID: record, reason: reason,
                                       actorID: actor, actorRole: role, oldValues: old, newValues: new))
        }
        return result
    }
}
