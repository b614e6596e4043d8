import ArgumentParser
import Foundation
import VRSCrypto
import VRSDomain
import VRSStore

/// `vrs dev …`: tools for demos and benchmarks.
struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dev", abstract: "Demo and benchmark tools.", subcommands: [Seed.self])

    /// `vrs dev seed --municipality CODE --persons N`.
    struct Seed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register synthetic but valid people with one coupon each (provisions the municipality if needed).")
        @OptionGroup var store: StoreOptions
        @Option(help: "The municipality code.") var municipality: String
        @Option(help: "How many people to add.") var persons: Int
        @Option(help: "Seed of the synthetic population (same seed, same people).") var seed: UInt64 = 1
        @Option(name: .customLong("batch-size")) var batchSize = 5000
        @Option(help: "Concurrent batches.") var concurrency = 2

        func run() async throws {
            let code = try MunicipalityCode(municipality)
            let runtime = try Runtime(store)
            let master = try runtime.masterKey()
            let seeder = PopulationSeeder(keyRing: KeyRing(master: master), logger: runtime.logger)
            let clock = ContinuousClock()
            let result = try await runtime.withStore { database, _ in
                _ = try await database.transaction(as: .operator) {
                    try await MunicipalityRepository(master: master, logger: runtime.logger).provision(code, on: $0)
                }
                let began = clock.now
                let added = try await seeder.seed(
                    SyntheticPopulation(seed: seed), count: persons, into: code, database: database,
                    batchSize: batchSize, concurrency: concurrency)
                return (added, clock.now - began)
            }
            let seconds = Double(result.1.components.seconds) + Double(result.1.components.attoseconds) / 1e18
            print(String(format: "seeded %d persons into %@ in %.2f s (%.0f persons/s)", result.0, code.rawValue, seconds, Double(result.0) / seconds))
        }
    }
}
