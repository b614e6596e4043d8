import Foundation
import Hummingbird
import Logging
import PostgresNIO
import VRSDomain
import VRSStore

/// `/healthz` (the process answers) and `/readyz` (the database is reachable and migrated), on both listeners.
struct HealthController: Sendable {
    let database: Database

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/healthz") { _, _ in Status(status: "ok", schemaVersion: nil) }
        router.get("/readyz") { _, _ in try await readiness() }
    }

    struct Status: ResponseCodable {
        let status: String
        let schemaVersion: Int?
    }

    private func notReady(_ detail: String) -> Response {
        Problem(type: "urn:vrs:problem:not-ready", title: "Service not ready", status: 503, detail: detail).response()
    }

    private func readiness() async throws -> Response {
        let version: Int
        do {
            version = try await database.transaction(as: .operator) { connection in
                let rows = try await connection.query("SELECT coalesce(max(version), 0)::int FROM vrs.schema_migration", logger: database.logger)
                for try await version in rows.decode(Int.self) { return version }
                return 0
            }
        } catch {
            return notReady("the database is not reachable")
        }
        guard version >= Migrator.latestVersion else {
            return notReady("the database schema is at version \(version), this build needs \(Migrator.latestVersion): run `vrs migrate`")
        }
        return try JSONEncoder.response(Status(status: "ready", schemaVersion: version))
    }
}
