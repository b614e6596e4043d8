import ArgumentParser
import Foundation
import VRSDomain
import VRSStore

/// `vrs statistics …`: the age bands and suppression threshold of the statistics, and rebuilding
/// the dose counts from the doses.
struct StatisticsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "statistics", abstract: "Statistics settings and the dose counts behind them.",
        subcommands: [Show.self, Configure.self, Rebuild.self])

    /// `vrs statistics show`.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the age bands and the suppression threshold.")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let runtime = try Runtime(store)
            let settings = try await runtime.withStore { _, admin in
                try await StatisticsAdministration(admin: try ownerPool(admin), logger: runtime.logger).settings()
            }
            print("age bands: \((settings.ageBands + ["UNK"]).joined(separator: ","))")
            print("cells under \(settings.minCell) doses are suppressed at municipality level")
        }
    }

    /// `vrs statistics configure --age-bands=-64,65- --min-cell 10`.
    struct Configure: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set the age bands and/or the suppression threshold.",
            discussion: "Bands are inclusive ages on the day of the dose, in order: --age-bands=-11,12-64,65- (write the = when the list starts with -). An age in no band counts as UNK. New bands rebuild every municipality's counts, one municipality per transaction.")
        @OptionGroup var store: StoreOptions
        @Option(name: .customLong("age-bands"), help: "Comma-separated bands, e.g. -64,65-.") var ageBands: String?
        @Option(name: .customLong("min-cell"), help: "Suppress municipality-level cells under this many doses (1-1000).") var minCell: Int?

        func validate() throws {
            if ageBands == nil && minCell == nil { throw ValidationError("give --age-bands, --min-cell or both") }
            if let minCell, !(1...1000).contains(minCell) { throw ValidationError("--min-cell must be between 1 and 1000") }
        }

        func run() async throws {
            let runtime = try Runtime(store)
            let bands = ageBands.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            let rebuilt = try await runtime.withStore { _, admin in
                try await StatisticsAdministration(admin: try ownerPool(admin), logger: runtime.logger).configure(ageBands: bands, minCell: minCell)
            }
            if let bands { print("age bands set to \((bands + ["UNK"]).joined(separator: ",")); counts rebuilt for \(rebuilt) municipalities") }
            if let minCell { print("cells under \(minCell) doses are suppressed at municipality level") }
        }
    }

    /// `vrs statistics rebuild [--municipality CODE]`.
    struct Rebuild: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute the dose counts from the doses (one municipality per transaction; writers there wait meanwhile).")
        @OptionGroup var store: StoreOptions
        @Option(help: "Only this municipality.") var municipality: String?

        func run() async throws {
            let runtime = try Runtime(store)
            let code = try municipality.map { try MunicipalityCode($0) }
            let rebuilt = try await runtime.withStore { _, admin in
                try await StatisticsAdministration(admin: try ownerPool(admin), logger: runtime.logger).rebuild(code)
            }
            print("dose counts rebuilt for \(rebuilt) municipalities")
        }
    }
}
