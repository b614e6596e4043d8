import Foundation
import Logging
import PostgresNIO
import VRSDomain

/// Registers synthetic people and their coupons in batches, each batch one transaction.
public struct PopulationSeeder: Sendable {
    let people: PersonRepository
    let coupons: CouponRepository

    /// A seeder sealing numbers with `keyRing`.
    public init(keyRing: KeyRing, logger: Logger) {
        people = PersonRepository(keyRing: keyRing, logger: logger)
        coupons = CouponRepository(logger: logger)
    }

    /// Adds `count` people after those already registered (indexes continue, so re-seeding appends).
    public func seed(
        _ population: SyntheticPopulation, count: Int, into municipality: MunicipalityCode, database: Database,
        batchSize: Int = 5000, concurrency: Int = 2
    ) async throws -> Int {
        let start = try await database.transaction(as: .municipal(municipality)) { connection in
            let rows = try await connection.query(
                "SELECT count(*)::int FROM vrs.person WHERE municipality_code = \(municipality)", logger: database.logger)
            for try await n in rows.decode(Int.self) { return n }
            return 0
        }
        let batches = stride(from: start, to: start + count, by: batchSize).map { $0..<min($0 + batchSize, start + count) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = batches.makeIterator()
            func addNext() -> Bool {
                guard let range = next.next() else { return false }
                group.addTask { try await insert(range, of: population, into: municipality, database: database) }
                return true
            }
            for _ in 0..<max(1, concurrency) where !addNext() { break }
            while try await group.next() != nil { _ = addNext() }
        }
        return count
    }

    private func insert(_ range: Range<Int>, of population: SyntheticPopulation, into municipality: MunicipalityCode, database: Database) async throws {
        let synthetic = range.map { population.person(at: $0) }
        let newPeople = synthetic.map {
            NewPerson(
                addressNumber: $0.addressNumber, individualNumber: $0.individualNumber, familyName: $0.familyName,
                givenName: $0.givenName, familyNameKana: $0.familyNameKana, givenNameKana: $0.givenNameKana,
                birthDate: $0.birthDate, sex: $0.sex)
        }
        try await database.transaction(as: .municipal(municipality)) { connection in
            let ids = try await people.insert(newPeople, into: municipality, on: connection)
            try await coupons.insert(
                zip(ids, synthetic).map { NewCoupon(personID: $0, number: $1.couponNumber, kind: $1.couponKind) },
                into: municipality, on: connection)
        }
    }
}
