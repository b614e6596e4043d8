import PostgresNIO
import Testing
import VRSStore
import VRSTestSupport

@Suite("Migrations")
struct MigrationTests {
    @Test func aMigratedDatabaseIsCurrentAndMigratingAgainChangesNothing() async throws {
        try await withTestStore { store in
            let migrator = Migrator(admin: store.admin, logger: store.logger)
            #expect(try await migrator.currentVersion() == Migrator.latestVersion)
            #expect(try await migrator.migrate().isEmpty)
            let rows = try await store.admin.query("SELECT count(*)::int FROM vrs.municipality_directory", logger: store.logger)
            for try await count in rows.decode(Int.self) { #expect(count == 1965) }
        }
    }

    @Test func migrationsRunAsTheOwnerNotTheApplication() async throws {
        try await withTestStore { store in
            let rows = try await store.admin.query(
                """
                SELECT count(*)::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'vrs' AND pg_get_userbyid(c.relowner) <> 'vrs_owner'
                """, logger: store.logger)
            for try await count in rows.decode(Int.self) { #expect(count == 0) }
        }
    }
}
