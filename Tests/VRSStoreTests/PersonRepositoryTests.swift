import Foundation
import PostgresNIO
import Testing
import VRSDomain
import VRSStore
import VRSTestSupport

@Suite("Registering and finding people")
struct PersonRepositoryTests {
    @Test func aPersonIsFoundByAddressNumberAndByIndividualNumber() async throws {
        try await withTestStore { store in
            try await store.provision(Town.a)
            let people = PersonRepository(keyRing: store.keyRing, logger: store.logger)
            let ids = try await store.database.transaction(as: .municipal(Town.a)) {
                try await people.insert([.sample("A-1", "123456789018"), .sample("A-2", "983205673214")], into: Town.a, on: $0)
            }
            try await store.database.transaction(as: .municipal(Town.a)) { connection in
                let byAddress = try #require(try await people.find(addressNumber: "A-2", in: Town.a, on: connection))
                #expect(byAddress.id == ids[1])
                #expect(byAddress.familyName == "佐藤" && byAddress.givenNameKana == "ハナコ")
                #expect(byAddress.birthDate == (try CalendarDate("1950-04-01")))
                let byNumber = try #require(try await people.find(individualNumber: IndividualNumber("123456789018"), in: Town.a, on: connection))
                #expect(byNumber.id == ids[0])
                #expect(try await people.revealIndividualNumber(of: byNumber, on: connection).revealDigits() == "123456789018")
                let stranger = try await people.find(individualNumber: IndividualNumber("000000000019"), in: Town.a, on: connection)
                #expect(stranger == nil)
            }
        }
    }

    @Test func theSameAddressNumberOrIndividualNumberTwiceIsRefused() async throws {
        try await withTestStore { store in
            try await store.provision(Town.a)
            let people = PersonRepository(keyRing: store.keyRing, logger: store.logger)
            try await store.database.transaction(as: .municipal(Town.a)) {
                _ = try await people.insert([.sample("A-1", "123456789018")], into: Town.a, on: $0)
            }
            do {
                try await store.database.transaction(as: .municipal(Town.a)) {
                    _ = try await people.insert([.sample("A-1", "983205673214")], into: Town.a, on: $0)
                }
                Issue.record("a second person with the same address number was accepted")
            } catch let StoreError.duplicate(constraint) {
                #expect(constraint.contains("address_number"))
            }
            do {
                try await store.database.transaction(as: .municipal(Town.a)) {
                    _ = try await people.insert([.sample("A-9", "123456789018")], into: Town.a, on: $0)
                }
                Issue.record("a second registration of the same Individual Number was accepted")
            } catch let StoreError.duplicate(constraint) {
                #expect(constraint.contains("individual_number_index"))
            }
        }
    }

    @Test func theSameNumberMayLiveInTwoMunicipalities() async throws {
        // A person who moved is registered in both ledgers; the blind indexes differ per municipality.
        try await withTestStore { store in
            try await store.provision(Town.a, Town.b)
            let people = PersonRepository(keyRing: store.keyRing, logger: store.logger)
            for town in [Town.a, Town.b] {
                _ = try await store.database.transaction(as: .municipal(town)) {
                    try await people.insert([.sample("X-1", "123456789018")], into: town, on: $0)
                }
            }
            let indexes = try await store.admin.query("SELECT count(DISTINCT individual_number_index)::int FROM vrs.person", logger: store.logger)
            for try await n in indexes.decode(Int.self) { #expect(n == 2) }
        }
    }
}
