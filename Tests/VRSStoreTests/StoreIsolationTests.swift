import Foundation
import PostgresNIO
import Testing
import VRSDomain
import VRSStore
import VRSTestSupport

/// The database, not the handler, holds the boundary: the store scoped as municipality A is handed
/// B's identifiers and gets nothing back and changes nothing.
@Suite("Store isolation between municipalities")
struct StoreIsolationTests {
    @Test func municipalityAGetsNothingOfBsPeopleWhateverItAsks() async throws {
        try await withTestStore { store in
            try await store.provision(Town.a, Town.b)
            let people = PersonRepository(keyRing: store.keyRing, logger: store.logger)
            let bID = try await store.database.transaction(as: .municipal(Town.b)) {
                try await people.insert([.sample("B-1", "123456789018")], into: Town.b, on: $0)
            }[0]
            try await store.database.transaction(as: .municipal(Town.a)) { connection in
                // Even naming B as the municipality (as a buggy handler might), A's scope sees nothing.
                let byID = try await people.find(id: bID, in: Town.b, on: connection)
                let byAddress = try await people.find(addressNumber: "B-1", in: Town.b, on: connection)
                let asOwn = try await people.find(id: bID, in: Town.a, on: connection)
                #expect(byID == nil && byAddress == nil && asOwn == nil)
                // B's keys are not readable either, so B's numbers cannot even be looked up.
                await #expect(throws: (any Error).self) {
                    _ = try await people.find(individualNumber: IndividualNumber("123456789018"), in: Town.b, on: connection)
                }
            }
            let changed = try await store.database.transaction(as: .municipal(Town.a)) { connection in
                var changed = 0
                for try await n in try await connection.query(
                    "WITH u AS (UPDATE vrs.person SET family_name = 'x' WHERE municipality_code = '011002' RETURNING 1) SELECT count(*)::int FROM u",
                    logger: store.logger).decode(Int.self) { changed += n }
                return changed
            }
            #expect(changed == 0)
            // Nobody deletes a registration (migration 0012): not even A's own, let alone B's.
            await #expect(throws: (any Error).self) {
                try await store.database.transaction(as: .municipal(Town.a)) { connection in
                    try await connection.perform("DELETE FROM vrs.person WHERE person_id = \(bID)", logger: store.logger)
                }
            }
            await #expect(throws: (any Error).self) {
                try await store.database.transaction(as: .municipal(Town.a)) {
                    _ = try await people.insert([.sample("B-2", "983205673214")], into: Town.b, on: $0)
                }
            }
            let rows = try await store.admin.query(
                "SELECT family_name, count(*) OVER ()::int FROM vrs.person WHERE municipality_code = '011002'", logger: store.logger)
            for try await (name, count) in rows.decode((String, Int).self) {
                #expect(name == "佐藤")
                #expect(count == 1)
            }
        }
    }

    @Test func anOperatorCannotReadPeopleAtAll() async throws {
        try await withTestStore { store in
            try await store.provision(Town.a)
            await #expect(throws: PSQLError.self) {
                try await store.database.transaction(as: .operator) { connection in
                    try await connection.query("SELECT count(*) FROM vrs.person WHERE municipality_code = '131016'", logger: store.logger)
                }
            }
        }
    }
}
