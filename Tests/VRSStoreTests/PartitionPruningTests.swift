import Foundation
import PostgresNIO
import Testing
import VRSDomain
import VRSStore
import VRSTestSupport

/// architecture.md §1.2: the tenant reaches the planner as a bound `char(6)` value, so a lookup
/// plans one partition, not all of them.
@Suite("Partition pruning")
struct PartitionPruningTests {
    @Test func aBoundMunicipalityCodePlansOnePartition() async throws {
        try await withTestStore { store in
            let codes = MunicipalityDirectory.official.workingTenants.prefix(40).map(\.code)
            for code in codes { try await store.provision(code) }
            let town = codes[17]
            let plan = try await store.database.transaction(as: .municipal(town)) { connection in
                var plan = ""
                for try await line in try await connection.query(
                    "EXPLAIN SELECT person_id FROM vrs.person WHERE municipality_code = \(town) AND address_number = \("A-1")",
                    logger: store.logger).decode(String.self) { plan += line + "\n" }
                return plan
            }
            // Scan nodes read "… on person_pNNNNNN"; index names also contain the partition name.
            let scanned = Set(plan.matches(of: /on (person_p[0-9]{6})/).map { String($0.output.1) })
            #expect(scanned == ["person_p\(town.rawValue)"], "the plan touches \(scanned.count) partitions:\n\(plan)")
            // Pruned by the planner, not at execution (which would have planned every partition first).
            #expect(!plan.contains("Subplans Removed"), "pruned only at run time:\n\(plan)")
        }
    }
}
