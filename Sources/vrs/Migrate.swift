import ArgumentParser
import VRSStore

/// `vrs migrate`: bootstrap roles and apply pending migrations as the owning role.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create roles and apply pending migrations (as vrs_owner).")

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let runtime = try Runtime(store)
        try await runtime.withStore(migrate: false) { _, admin in
            guard let admin else {
                throw ValidationError("migrations need an administrative connection: set VRS_ADMIN_DATABASE_URL")
            }
            let applied = try await Migrator(admin: admin, logger: runtime.logger).migrate(appPassword: runtime.environment["VRS_APP_PASSWORD"])
            print(applied.isEmpty ? "schema is current (version \(Migrator.latestVersion))" : "applied: \(applied.joined(separator: ", "))")
        }
    }
}
