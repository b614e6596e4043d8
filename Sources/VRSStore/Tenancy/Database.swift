import Logging
import PostgresNIO
import VRSDomain

/// The application's connection pool and its one door to the data: the caller-scoped transaction.
public struct Database: Sendable {
    /// The pool; run it as a service (`client.run()`) for as long as the database is used.
    public let client: PostgresClient
    /// Where queries log.
    public let logger: Logger

    /// Wraps a pool connected as the application's login role.
    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Runs `body` in one transaction as `scope`: `SET LOCAL ROLE` and the municipality bound with
    /// `set_config(…, true)`, both undone at commit or rollback so a pooled connection keeps nothing.
    ///
    /// Errors thrown by `body` come out as themselves, not wrapped in `PostgresTransactionError`.
    /// `actor` labels the changes the transaction makes in the history (migration 0012).
    public func transaction<Result: Sendable>(
        as scope: CallerScope,
        actor: ActorLabels? = nil,
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        do {
            return try await client.withTransaction(logger: logger) { connection in
                try await connection.perform(
                    """
                    SELECT set_config('role', \(scope.role), true), set_config('vrs.municipality', \(scope.municipality?.rawValue ?? ""), true),
                           set_config('vrs.actor_id', \(actor?.actorID ?? ""), true), set_config('vrs.actor_role', \(actor?.actorRole ?? ""), true),
                           set_config('vrs.request_id', \(actor?.requestID ?? ""), true)
                    """,
                    logger: logger)
                return try await body(connection)
            }
        } catch let error as PostgresTransactionError {
            throw error.closureError ?? error.beginError ?? error.commitError ?? error
        }
    }
}

/// Who acts, for which request: what the history trace of migration 0012 writes next to each
/// change. Labels bound with `set_config(…, true)`, not authentication (the audit chain holds that).
public struct ActorLabels: Sendable, Equatable {
    public var actorID: String
    public var actorRole: String
    public var requestID: String

    /// Labels for one request's caller.
    public init(actorID: String, actorRole: String, requestID: String) {
        self.actorID = actorID
        self.actorRole = actorRole
        self.requestID = requestID
    }
}

extension PostgresConnection {
    /// Runs a statement and reads its answer to the end. A `SELECT door(...)` whose door raises
    /// reports the error only while its rows are read: dropping the rows unread would lose the
    /// error, and the aborted transaction would then end in a silent ROLLBACK at COMMIT.
    public func perform(_ query: PostgresQuery, logger: Logger) async throws {
        for try await _ in try await self.query(query, logger: logger) {}
    }

    /// Names the action (and reason) that the history trace of migration 0012 records for the
    /// rows the following statements change; nil unbinds both.
    public func labelChanges(_ action: String?, reason: String? = nil, logger: Logger) async throws {
        try await perform(
            "SELECT set_config('vrs.change_action', \(action ?? ""), true), set_config('vrs.change_reason', \(reason ?? ""), true)",
            logger: logger)
    }

    /// Binds a municipality inside an open transaction that started without one (sign-in and
    /// sign-out run as `.authentication` before the account is known), so that what follows —
    /// the audit event above all — lands in that municipality's chain.
    public func bind(_ municipality: MunicipalityCode, logger: Logger) async throws {
        try await perform("SELECT set_config('vrs.municipality', \(municipality.rawValue), true)", logger: logger)
    }
}
