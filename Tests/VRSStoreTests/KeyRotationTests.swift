import Foundation
import PostgresNIO
import Testing
import VRSCrypto
import VRSDomain
import VRSStore
import VRSTestSupport

@Suite("Key rotation")
struct KeyRotationTests {
    let population = SyntheticPopulation(seed: 7)

    @Test func dataKeyRotationResumesAndReadsWorkThroughout() async throws {
        try await withTestStore { store in
            try await store.provision(Town.a)
            _ = try await PopulationSeeder(keyRing: store.keyRing, logger: store.logger)
                .seed(population, count: 2500, into: Town.a, database: store.database, batchSize: 1000)
            let rotation = KeyRotation(database: store.database, admin: store.admin, keyRing: store.keyRing, logger: store.logger)

            // Interrupted after one batch: some rows on v2, the rest still on v1.
            let partial = try await rotation.rotateData(of: Town.a, master: store.master, batchSize: 1000, maxBatches: 1)
            #expect(partial == .init(version: 2, reencrypted: 1000, remaining: 1500))
            try await expectEveryoneFindable(store, sample: [0, 1, 1200, 2499])

            // Running again resumes at v2 instead of starting v3.
            let finished = try await rotation.rotateData(of: Town.a, master: store.master, batchSize: 1000)
            #expect(finished == .init(version: 2, reencrypted: 1500, remaining: 0))
            try await expectEveryoneFindable(store, sample: [0, 1, 1200, 2499])
            let versions = try await store.admin.query(
                "SELECT key_version, count(*)::int FROM vrs.person GROUP BY key_version", logger: store.logger)
            var byVersion: [Int: Int] = [:]
            for try await (version, count) in versions.decode((Int, Int).self) { byVersion[version] = count }
            #expect(byVersion == [2: 2500])

            // A fresh key ring (another server process) reads the rotated rows too.
            let fresh = PersonRepository(keyRing: KeyRing(master: store.master), logger: store.logger)
            try await store.database.transaction(as: .municipal(Town.a)) { connection in
                let person = try #require(try await fresh.find(individualNumber: population.person(at: 42).individualNumber, in: Town.a, on: connection))
                #expect(person.keyVersion == 2)
            }
        }
    }

    @Test func masterKeyRotationRewrapsWithoutTouchingPeople() async throws {
        try await withTestStore { store in
            try await store.provision(Town.a, Town.b)
            _ = try await PopulationSeeder(keyRing: store.keyRing, logger: store.logger)
                .seed(population, count: 10, into: Town.a, database: store.database)
            let before = try await ciphertexts(store)
            let next = MasterKey.generate()
            let rotation = KeyRotation(database: store.database, admin: store.admin, keyRing: store.keyRing, logger: store.logger)
            #expect(try await rotation.rewrapAll(from: store.master, to: next) == 4)
            #expect(try await rotation.rewrapAll(from: store.master, to: next) == 0)  // a repeated run finds nothing left
            #expect(try await ciphertexts(store) == before)

            let withNext = PersonRepository(keyRing: KeyRing(master: next), logger: store.logger)
            let withOld = PersonRepository(keyRing: KeyRing(master: store.master), logger: store.logger)
            let number = population.person(at: 3).individualNumber
            try await store.database.transaction(as: .municipal(Town.a)) { connection in
                let person = try #require(try await withNext.find(individualNumber: number, in: Town.a, on: connection))
                #expect(try await withNext.revealIndividualNumber(of: person, on: connection).revealDigits() == number.revealDigits())
            }
            await #expect(throws: KeyMaterialError.self) {
                try await store.database.transaction(as: .municipal(Town.a)) { connection in
                    _ = try await withOld.find(individualNumber: number, in: Town.a, on: connection)
                }
            }
        }
    }

    private func expectEveryoneFindable(_ store: TestStore, sample: [Int]) async throws {
        let people = PersonRepository(keyRing: store.keyRing, logger: store.logger)
        try await store.database.transaction(as: .municipal(Town.a)) { connection in
            for index in sample {
                let expected = population.person(at: index)
                let found = try #require(try await people.find(individualNumber: expected.individualNumber, in: Town.a, on: connection))
                #expect(found.addressNumber == expected.addressNumber)
                #expect(try await people.revealIndividualNumber(of: found, on: connection).revealDigits() == expected.individualNumber.revealDigits())
            }
        }
    }

    private func ciphertexts(_ store: TestStore) async throws -> [Data] {
        var result: [Data] = []
        let rows = try await store.admin.query("SELECT individual_number_cipher FROM vrs.person ORDER BY person_id", logger: store.logger)
        for try await bytes in rows.decode(Data.self) { result.append(bytes) }
        return result
    }
}
