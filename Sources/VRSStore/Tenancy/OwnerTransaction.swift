import Logging
import PostgresNIO

extension PostgresClient {
    /// Runs `body` in one transaction as `vrs_owner` over an administrative pool (a superuser or a
    /// member of `vrs_owner`): the host administrator's path for what no caller role may do —
    /// creating operators, writing keys.
    public func ownerTransaction<Result: Sendable>(
        logger: Logger, _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        do {
            return try await withTransaction(logger: logger) { connection in
                try await connection.query("SET LOCAL ROLE vrs_owner", logger: logger)
                return try await body(connection)
            }
        } catch let error as PostgresTransactionError {
            throw error.closureError ?? error.beginError ?? error.commitError ?? error
        }
    }
}
