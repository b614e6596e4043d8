import ArgumentParser
import Foundation
import VRSDomain
import VRSStore

/// `vrs municipality …`: the tenant registry.
struct MunicipalityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "municipality", abstract: "Provision and list municipalities.", subcommands: [Provision.self, List.self])

    /// `vrs municipality provision CODE…|--all`.
    struct Provision: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create keys and partitions for municipalities (idempotent).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Municipality codes (6 digits, or 5 without the check digit).") var codes: [String] = []
        @Flag(help: "Every municipality of the official list that can be a tenant.") var all = false
        @Flag(name: .customLong("include-northern-territories"), help: "With --all, also the six Northern Territories villages.") var includeNorthernTerritories = false

        func validate() throws {
            if all == !codes.isEmpty { throw ValidationError("give municipality codes or --all, not both") }
        }

        func run() async throws {
            let directory = MunicipalityDirectory.official
            let targets: [MunicipalityCode]
            if all {
                targets = (includeNorthernTerritories ? directory.tenantEligible : directory.workingTenants).map(\.code)
            } else {
                targets = try codes.map { code in
                    do { return try directory.tenant(MunicipalityCode(code)).code } catch { throw ValidationError("\(code): \(error)") }
                }
            }
            let runtime = try Runtime(store)
            let repository = MunicipalityRepository(master: try runtime.masterKey(), logger: runtime.logger)
            let clock = ContinuousClock()
            let began = clock.now
            let created = try await runtime.withStore { database, _ in
                var created = 0
                // One transaction per municipality: creating ~1,750 × 6 partitions at once exceeds the lock table.
                for code in targets {
                    if try await database.transaction(as: .operator, { try await repository.provision(code, on: $0) }) { created += 1 }
                }
                return created
            }
            let elapsed = clock.now - began
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print(String(format: "provisioned %d new, %d already present, in %.1f s", created, targets.count - created, seconds))
        }
    }

    /// `vrs municipality list`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List provisioned municipalities.")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let runtime = try Runtime(store)
            let repository = MunicipalityRepository(master: try runtime.masterKey(), logger: runtime.logger)
            let municipalities = try await runtime.withStore { database, _ in
                try await database.transaction(as: .operator) { try await repository.list(on: $0) }
            }
            for m in municipalities { print("\(m.code)\t\(m.prefecture)\t\(m.name)\tkey v\(m.keyVersion)") }
        }
    }
}
