import PostgresNIO
import Testing
import VRSDomain
import VRSStore
import VRSTestSupport

@Suite("Provisioning municipalities")
struct ProvisioningTests {
    @Test func provisioningCreatesKeysAndPartitionsOnceOnly() async throws {
        try await withTestStore { store in
            let repository = MunicipalityRepository(master: store.master, logger: store.logger)
            #expect(try await store.database.transaction(as: .operator) { try await repository.provision(Town.a, on: $0) })
            #expect(try await store.database.transaction(as: .operator) { try await repository.provision(Town.a, on: $0) } == false)
            let list = try await store.database.transaction(as: .operator) { try await repository.list(on: $0) }
            #expect(list.map(\.name) == ["千代田区"])
            #expect(list.first?.prefecture == "東京都")
            let partitions = try await count(
                "SELECT count(*)::int FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE c.relname LIKE '%_p131016' AND c.relkind = 'r'",
                store)
            #expect(partitions == 8)   // person, coupon, vaccination, provision_record, audit_event, record_change, transfer_batch_line, certificate
            let keys = try await count("SELECT count(*)::int FROM vrs.municipality_key WHERE municipality_code = '131016'", store)
            #expect(keys == 2)
        }
    }

    @Test func aPrefectureOrAWardCannotBeProvisioned() async throws {
        try await withTestStore { store in
            let repository = MunicipalityRepository(master: store.master, logger: store.logger)
            let prefecture = try MunicipalityCode("130001")
            await #expect(throws: StoreError.notATenant(prefecture)) {
                try await store.database.transaction(as: .operator) { try await repository.provision(prefecture, on: $0) }
            }
            let ward = try MunicipalityCode("011011")
            await #expect(throws: StoreError.notATenant(ward)) {
                try await store.database.transaction(as: .operator) { try await repository.provision(ward, on: $0) }
            }
            #expect(try await count("SELECT count(*)::int FROM vrs.municipality", store) == 0)
        }
    }

    @Test func aMunicipalityCannotProvision() async throws {
        try await withTestStore { store in
            try await store.provision(Town.a)
            let repository = MunicipalityRepository(master: store.master, logger: store.logger)
            await #expect(throws: (any Error).self) {
                try await store.database.transaction(as: .municipal(Town.a)) { try await repository.provision(Town.b, on: $0) }
            }
            #expect(try await count("SELECT count(*)::int FROM vrs.municipality WHERE code = '011002'", store) == 0)
        }
    }

    func count(_ sql: String, _ store: TestStore) async throws -> Int {
        for try await n in try await store.admin.query(PostgresQuery(unsafeSQL: sql), logger: store.logger).decode(Int.self) { return n }
        return -1
    }
}
