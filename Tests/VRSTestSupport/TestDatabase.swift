import Foundation
import Logging
import PostgresNIO
import VRSCrypto
import VRSDomain
import VRSStore

/// One test's own database, cloned from the migrated template.
public struct TestDatabase: Sendable {
    /// The database name.
    public let name: String
    /// A superuser URL (for inspection, psql, pg_dump).
    public let adminURL: DatabaseURL
    /// The application login role's URL.
    public let appURL: DatabaseURL
    /// Whether pgTAP is installed in it.
    public let hasPgTAP: Bool
    let maintenance: DatabaseURL
    let logger: Logger

    /// Drops the database.
    public func drop() async throws {
        try await TestCluster.withClient(maintenance, logger: logger) { client in
            try await client.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: logger)
        }
    }
}

/// What a store test works with: the application pool, a superuser pool and a key ring.
public struct TestStore: Sendable {
    public let database: Database
    public let admin: PostgresClient
    public let master: MasterKey
    public let keyRing: KeyRing
    public let testDatabase: TestDatabase
    public var logger: Logger { database.logger }

    /// Provisions municipalities as an operator would.
    public func provision(_ codes: MunicipalityCode...) async throws {
        let repository = MunicipalityRepository(master: master, logger: logger)
        for code in codes {
            _ = try await database.transaction(as: .operator) { try await repository.provision(code, on: $0) }
        }
    }
}

/// Runs `body` against a fresh database and drops it afterwards, whether the body threw or not.
public func withTestStore<T: Sendable>(_ body: (TestStore) async throws -> T) async throws -> T {
    let testDatabase = try await TestCluster.shared.makeDatabase()
    let logger = testDatabase.logger
    let result: Result<T, any Error>
    do {
        let app = PostgresClient(configuration: try testDatabase.appURL.clientConfiguration(), backgroundLogger: logger)
        let admin = PostgresClient(configuration: try testDatabase.adminURL.clientConfiguration(), backgroundLogger: logger)
        let master = MasterKey.generate()
        let value = try await withRunningClients([app, admin]) {
            try await body(TestStore(
                database: Database(client: app, logger: logger), admin: admin, master: master,
                keyRing: KeyRing(master: master), testDatabase: testDatabase))
        }
        result = .success(value)
    } catch {
        result = .failure(error)
    }
    try await testDatabase.drop()
    return try result.get()
}
