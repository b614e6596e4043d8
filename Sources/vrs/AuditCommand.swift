import ArgumentParser
import VRSDomain
import VRSStore

/// `vrs audit verify`: walk the hash chains and name the first broken event.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "The tamper-evident audit log.", subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Recompute every chain (or one municipality's); exit 1 naming the first broken event.")
        @OptionGroup var store: StoreOptions
        @Option(help: "Only this municipality's chain (000000 is the operators' chain).") var municipality: String?

        func run() async throws {
            let chain = try municipality.map { $0 == "000000" ? $0 : try MunicipalityCode($0).rawValue }
            let runtime = try Runtime(store)
            let verdicts = try await runtime.withStore { _, admin in
                guard let admin else { throw ValidationError("verification reads every chain: set VRS_ADMIN_DATABASE_URL") }
                return try await AuditLog.verify(chain: chain, admin: admin, logger: runtime.logger)
            }
            var broken = 0
            for verdict in verdicts {
                if let seq = verdict.brokenSeq {
                    broken += 1
                    print("BROKEN chain \(verdict.chain): event seq \(seq): \(verdict.problem ?? "")")
                } else {
                    print("ok     chain \(verdict.chain): \(verdict.events) events")
                }
            }
            if broken > 0 { throw ExitCode(1) }
        }
    }
}
