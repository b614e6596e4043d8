import Foundation
import Hummingbird
import Logging
import PostgresNIO
import VRSDomain
import VRSStore

extension AppRequestContext {
    /// An audit event by this request's caller.
    func event(_ action: String, target: (type: String, id: String)?, outcome: AuditEvent.Outcome = .success, details: [String: String] = [:]) -> AuditEvent {
        AuditEvent(
            actorID: caller?.actorID, actorRole: caller?.actorRole ?? "anonymous", action: action, targetType: target?.type,
            targetID: target?.id, outcome: outcome, requestID: requestID, clientAddress: clientAddress, details: details)
    }
}

extension Database {
    /// A transaction under the caller's own scope (role and municipality), so that row-level
    /// security holds the boundary even if a handler forgot a check.
    func transaction<Result: Sendable>(for context: AppRequestContext, _ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        guard let caller = context.caller else { throw AppError.unauthorized() }
        return try await transaction(
            as: caller.scope, actor: ActorLabels(actorID: caller.actorID, actorRole: caller.actorRole, requestID: context.requestID), body)
    }
}
