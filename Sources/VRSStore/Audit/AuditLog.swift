import Foundation
import Logging
import PostgresNIO

/// One thing that happened, as the audit log keeps it: who, what, on what, with which outcome.
/// Targets are ids (person id, user id, device id), never an Individual Number.
public struct AuditEvent: Sendable {
    /// How it ended.
    public enum Outcome: String, Sendable, Codable { case success, failure, denied }

    public var actorID: String?
    public var actorRole: String
    public var action: String
    public var targetType: String?
    public var targetID: String?
    public var outcome: Outcome
    public var requestID: String?
    public var clientAddress: String?
    /// Small structured facts (never personal numbers).
    public var details: [String: String]

    /// Gathers an event.
    public init(actorID: String?, actorRole: String, action: String, targetType: String? = nil, targetID: String? = nil,
                outcome: Outcome, requestID: String? = nil, clientAddress: String? = nil, details: [String: String] = [:]) {
        self.actorID = actorID
        self.actorRole = actorRole
        self.action = action
        self.targetType = targetType
        self.targetID = targetID
        self.outcome = outcome
        self.requestID = requestID
        self.clientAddress = clientAddress
        self.details = details
    }
}

/// A stored event with its place in the hash chain.
public struct AuditRecord: Sendable, Codable {
    public let chain: String
    public let seq: Int64
    public let occurredAt: Date
    public let actorID: String?
    public let actorRole: String
    public let action: String
    public let targetType: String?
    public let targetID: String?
    public let outcome: String
    public let requestID: String?
    public let clientAddress: String?
    public let details: [String: String]
    public let hash: String

    enum CodingKeys: String, CodingKey {
        case chain, seq, occurredAt, actorRole, action, targetType, outcome, clientAddress, details, hash
        case actorID = "actorId", targetID = "targetId", requestID = "requestId"
    }
}

/// The append-only, hash-chained audit log. The chain an event joins is the municipality bound to
/// the transaction (the central chain when none is), decided in the database.
public struct AuditLog: Sendable {
    let logger: Logger

    /// A log writer logging to `logger`.
    public init(logger: Logger) { self.logger = logger }

    /// Appends an event in the caller's transaction, so it commits or rolls back with the change it records.
    public func append(_ event: AuditEvent, on connection: PostgresConnection) async throws {
        let details = String(decoding: try JSONEncoder().encode(event.details), as: UTF8.self)
        try await connection.perform(
            """
            SELECT vrs.append_audit_event(\(event.actorID), \(event.actorRole), \(event.action), \(event.targetType),
                   \(event.targetID), \(event.outcome.rawValue), \(event.requestID), \(event.clientAddress), \(details)::jsonb)
            """,
            logger: logger)
    }

    /// The newest events visible to the caller (their own chain), newest first, before `seq` when given.
    public func list(limit: Int, before: Int64?, filter: AuditFilter = AuditFilter(), on connection: PostgresConnection) async throws -> [AuditRecord] {
        let rows = try await connection.query(
            """
            SELECT municipality_code::text, seq, occurred_at, actor_id, actor_role, action, target_type, target_id, outcome,
                   request_id, client_address, details::text, encode(hash, 'hex')
            FROM vrs.audit_event
            WHERE municipality_code = coalesce(vrs.current_municipality(), '000000') AND seq < coalesce(\(before), 9223372036854775807)
              AND (\(filter.actionPrefix)::text IS NULL OR starts_with(action, \(filter.actionPrefix)))
              AND (\(filter.actorID)::text IS NULL OR actor_id = \(filter.actorID))
              AND (\(filter.outcome)::text IS NULL OR outcome = \(filter.outcome))
            ORDER BY seq DESC LIMIT \(limit)
            """,
            logger: logger)
        var records: [AuditRecord] = []
        for try await row in rows {
            let (chain, seq, at, actor, role, action, targetType, targetID, outcome, request, client, details, hash) =
                try row.decode((String, Int64, Date, String?, String, String, String?, String?, String, String?, String?, String, String).self)
            records.append(AuditRecord(
                chain: chain, seq: seq, occurredAt: at, actorID: actor, actorRole: role, action: action, targetType: targetType,
                targetID: targetID, outcome: outcome, requestID: request, clientAddress: client,
                details: (try? JSONDecoder().decode([String: String].self, from: Data(details.utf8))) ?? [:], hash: hash))
        }
        return records
    }
}

/// Narrows an audit listing: actions starting with a prefix (`person.`), one actor, one outcome.
public struct AuditFilter: Sendable, Equatable {
    public var actionPrefix: String?
    public var actorID: String?
    public var outcome: String?

    /// No narrowing unless a field is set.
    public init(actionPrefix: String? = nil, actorID: String? = nil, outcome: String? = nil) {
        self.actionPrefix = actionPrefix
        self.actorID = actorID
        self.outcome = outcome
    }
}
