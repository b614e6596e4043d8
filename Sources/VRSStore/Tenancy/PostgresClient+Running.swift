import PostgresNIO

/// Runs `clients` (their `run()` loops) as child tasks for exactly the lifetime of `body`, then shuts them down.
///
/// Commands and tests use a pool for one job; the server instead hands the pool to its service group.
public func withRunningClients<T: Sendable>(_ clients: [PostgresClient], _ body: () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: Void.self) { group in
        for client in clients { group.addTask { await client.run() } }
        defer { group.cancelAll() }
        // Let run() begin before the first lease, or PostgresNIO warns that the pool is not running.
        try await Task.sleep(for: .milliseconds(5))
        return try await body()
    }
}
