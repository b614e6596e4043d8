import ArgumentParser
import Foundation

/// Where the database and the master key are: the embedded cluster under `--data-dir`, or the
/// database named by `VRS_DATABASE_URL`.
struct StoreOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Directory of the embedded PostgreSQL cluster and its master key (used when VRS_DATABASE_URL is unset).")
    var dataDirectory: String = ".vrs"

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = ProcessInfo.processInfo.environment["VRS_LOG_LEVEL"] ?? "info"
}
