import ArgumentParser
import VRSStore

/// `vrs db …`: facts about the database in use.
struct DatabaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "db", abstract: "The database in use.", subcommands: [URL.self, Start.self, Stop.self])

    /// `vrs db url`: the connection URL, for psql.
    struct URL: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the connection URL (application role, or --admin for a superuser).")
        @OptionGroup var store: StoreOptions
        @Flag(help: "The administrative (superuser) URL instead of the application role's.") var admin = false

        func run() throws {
            let runtime = try Runtime(store)
            guard let url = admin ? runtime.adminURL : runtime.appURL else {
                throw ValidationError("no administrative URL: set VRS_ADMIN_DATABASE_URL")
            }
            print(url.connectionString)
        }
    }

    /// `vrs db start`: start the embedded cluster and leave it running.
    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start the embedded cluster (and migrate it) without serving.")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let runtime = try Runtime(store)
            guard let cluster = runtime.embedded else { throw ValidationError("VRS_DATABASE_URL is set: there is no embedded cluster") }
            try cluster.start()
            _ = try runtime.masterKey()
            try await runtime.withStore { _, _ in }
            print("embedded PostgreSQL running; `vrs db stop` stops it")
        }
    }

    /// `vrs db stop`: stop the embedded cluster.
    struct Stop: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the embedded cluster.")
        @OptionGroup var store: StoreOptions

        func run() throws {
            guard let cluster = try Runtime(store).embedded else { throw ValidationError("VRS_DATABASE_URL is set: there is no embedded cluster") }
            try cluster.stop()
        }
    }
}
