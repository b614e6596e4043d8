import Hummingbird
import HummingbirdTesting
import Logging
import PostgresNIO
import Testing
import VRSServer
import VRSStore
import VRSTestSupport

@Suite("Health and readiness on both listeners")
struct HealthTests {
    @Test func bothListenersAnswerHealthAndReadiness() async throws {
        try await withTestStore { store in
            let apps = buildApplications(configuration: .init(), database: store.database, master: store.master, logger: store.logger)
            for app in [apps.lgwan as any ApplicationProtocol, apps.public] {
                try await app.test(.router) { client in
                    try await client.execute(uri: "/healthz", method: .get) { response in
                        #expect(response.status == .ok)
                    }
                    try await client.execute(uri: "/readyz", method: .get) { response in
                        #expect(response.status == .ok)
                        #expect(String(buffer: response.body).contains("\"schemaVersion\":\(Migrator.latestVersion)"))
                    }
                }
            }
        }
    }

    @Test func readinessFailsWithAProblemWhenTheSchemaIsBehind() async throws {
        try await withTestStore { store in
            try await store.admin.query("DELETE FROM vrs.schema_migration WHERE version = \(Migrator.latestVersion)", logger: store.logger)
            let apps = buildApplications(configuration: .init(), database: store.database, master: store.master, logger: store.logger)
            try await apps.lgwan.test(.router) { client in
                try await client.execute(uri: "/readyz", method: .get) { response in
                    #expect(response.status == .serviceUnavailable)
                    #expect(response.headers[.contentType] == "application/problem+json")
                    #expect(String(buffer: response.body).contains("vrs migrate"))
                }
            }
        }
    }
}
