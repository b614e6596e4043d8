import PostgresNIO
import Testing
import VRSStore
import VRSTestSupport

// Serialized: bootstrap re-asserts cluster-wide role attributes, and two runs at once in different
// databases (whose advisory locks do not meet) collide on pg_authid ("tuple concurrently updated").
@Suite("Migrations", .serialized)
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

    /// Partitions made before 0006 (here: stripped of their RLS by hand) get it back from the
    /// runner, one municipality per transaction, and a second run finds nothing to do.
    @Test func migratingSecuresPartitionsThatLackRowLevelSecurity() async throws {
        try await withTestStore { store in
            try await store.provision(Town.a, Town.b)
            func unsecured() async throws -> Int {
                let rows = try await store.admin.query(
                    """
                    SELECT count(*)::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = 'vrs' AND c.relispartition AND c.relkind IN ('r', 'p') AND NOT (c.relrowsecurity AND c.relforcerowsecurity)
                    """, logger: store.logger)
                for try await n in rows.decode(Int.self) { return n }
                return -1
            }
            #expect(try await unsecured() == 0)
            for table in ["person_p131016", "audit_event_p011002", "vaccination_p011002"] {
                try await store.admin.query(PostgresQuery(unsafeSQL: "ALTER TABLE vrs.\(table) NO FORCE ROW LEVEL SECURITY"), logger: store.logger)
            }
            try await store.admin.query("ALTER TABLE vrs.coupon_p131016 DISABLE ROW LEVEL SECURITY", logger: store.logger)
            #expect(try await unsecured() == 4)
            let migrator = Migrator(admin: store.admin, logger: store.logger)
            #expect(try await migrator.migrate().isEmpty)
            #expect(try await unsecured() == 0)
        }
    }

    /// A partitioned table added by a later migration (0012's record_change) gets its partition for
    /// the municipalities provisioned before it, secured and with its TRUNCATE guard, from the runner.
    @Test func migratingCreatesThePartitionsOfTablesAddedAfterAMunicipality() async throws {
        try await withTestStore { store in
            try await store.provision(Town.a, Town.b)
            for statement in [
                "ALTER TABLE vrs.record_change DETACH PARTITION vrs.record_change_p011002", "DROP TABLE vrs.record_change_p011002",
            ] {
                try await store.admin.query(PostgresQuery(unsafeSQL: statement), logger: store.logger)
            }
            #expect(try await Migrator(admin: store.admin, logger: store.logger).migrate().isEmpty)
            let rows = try await store.admin.query(
                """
                SELECT c.relrowsecurity AND c.relforcerowsecurity AND c.relispartition,
                       EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = 'record_change_no_truncate')
                FROM pg_class c WHERE c.oid = to_regclass('vrs.record_change_p011002')
                """, logger: store.logger)
            var found = false
            for try await (secured, guarded) in rows.decode((Bool, Bool).self) {
                found = true
                #expect(secured)
                #expect(guarded)
            }
            #expect(found)
        }
    }

    /// A partition recreated behind vrs's back (by a superuser) cannot be altered by the owner: the
    /// runner warns and goes on, so that every command, `vrs audit verify` first, still runs.
    @Test func aPartitionNotMadeByVRSDoesNotStopMigrating() async throws {
        try await withTestStore { store in
            try await store.provision(Town.a)
            for statement in [
                "ALTER TABLE vrs.audit_event DETACH PARTITION vrs.audit_event_p131016", "DROP TABLE vrs.audit_event_p131016",
                "CREATE TABLE vrs.audit_event_p131016 PARTITION OF vrs.audit_event FOR VALUES IN ('131016')",
            ] {
                try await store.admin.query(PostgresQuery(unsafeSQL: statement), logger: store.logger)
            }
            #expect(try await Migrator(admin: store.admin, logger: store.logger).migrate().isEmpty)
        }
    }
}
