import Foundation
import Hummingbird
import Logging
import PostgresNIO
import VRSCrypto
import VRSDomain
import VRSStore

/// `POST /v1/municipalities` and `GET /v1/municipalities` (operators): the tenant registry.
struct MunicipalityController: Sendable {
    let database: Database
    let master: MasterKey

    struct ProvisionRequest: Decodable { let code: String }
    struct MunicipalityView: Encodable {
        let code: String
        let name: String
        let prefecture: String
        let kind: String
        let users: Int?
    }

    func addRoutes(to router: Router<AppRequestContext>) {
        let operators = router.group("v1/municipalities").add(middleware: RequireRole(roles: [.operator]))
        operators.post { request, context in
            let body = try await request.decodeJSON(as: ProvisionRequest.self, context: context)
            let entry = try MunicipalityDirectory.official.tenant(MunicipalityCode(body.code, field: "code"), field: "code")
            let created = try await database.transaction(for: context) { connection in
                let created = try await MunicipalityRepository(master: master, logger: context.logger).provision(entry.code, on: connection)
                if created {
                    try await AuditLog(logger: context.logger).append(
                        context.event("municipality.provision", target: ("municipality", entry.code.rawValue)), on: connection)
                }
                return created
            }
            guard created else { throw AppError.conflict("municipality \(entry.code) (\(entry.name)) is already provisioned") }
            return try JSONEncoder.response(
                MunicipalityView(code: entry.code.rawValue, name: entry.name, prefecture: entry.prefecture, kind: entry.kind.rawValue, users: 0),
                status: .created)
        }
        operators.get { _, context in
            let views = try await database.transaction(for: context) { connection in
                let counts = try await userCounts(on: connection, context: context)
                return try await MunicipalityRepository(master: master, logger: context.logger).list(on: connection).map {
                    MunicipalityView(code: $0.code.rawValue, name: $0.name, prefecture: $0.prefecture, kind: $0.kind, users: counts[$0.code.rawValue] ?? 0)
                }
            }
            struct List: Encodable { let municipalities: [MunicipalityView] }
            return try JSONEncoder.response(List(municipalities: views))
        }
    }

    /// Aggregate counts only: operators never see personal data.
    private func userCounts(on connection: PostgresConnection, context: AppRequestContext) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        let rows = try await connection.query(
            "SELECT municipality_code::text, count(*)::int FROM vrs.account WHERE municipality_code IS NOT NULL GROUP BY 1",
            logger: context.logger)
        for try await (code, n) in rows.decode((String, Int).self) { counts[code] = n }
        return counts
    }
}
