import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals
import VRSCrypto
import VRSServer
import VRSStore

/// `vrs serve`: both listeners, on the embedded cluster unless `VRS_DATABASE_URL` is set.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the LG-WAN and public listeners.")

    @OptionGroup var store: StoreOptions
    @Option(name: .customLong("lgwan-host")) var lgwanHost = "127.0.0.1"
    @Option(name: .customLong("lgwan-port"), help: "Port of the LG-WAN listener (municipal and operator APIs).") var lgwanPort = 8080
    @Option(name: .customLong("public-host")) var publicHost = "127.0.0.1"
    @Option(name: .customLong("public-port"), help: "Port of the public listener (tablet API).") var publicPort = 8081

    func run() async throws {
        let runtime = try Runtime(store)
        let logger = runtime.logger
        let master = try runtime.masterKey()
        let security = try SecurityConfiguration(environment: runtime.environment)
        if let embedded = runtime.embedded {
            announce("vrs: embedded PostgreSQL in \(embedded.directory) (socket only; `vrs db url --admin` prints a psql URL)")
        }
        let checkpointPath = runtime.auditCheckpointPath, checkpointInterval = try runtime.auditCheckpointInterval()
        if checkpointPath == nil { logger.warning("VRS_AUDIT_CHECKPOINT_FILE unset: the audit chains are not anchored outside the database") }
        try await runtime.withStore(admin: false) { database, _ in
            let checkpointer = checkpointPath.map {
                AuditCheckpointService(database: database, file: AuditCheckpointFile(path: $0), signer: AuditCheckpointSigner(master: master),
                                       interval: checkpointInterval, logger: logger)
            }
            let applications = buildApplications(
                configuration: ServerConfiguration(
                    lgwanHost: lgwanHost, lgwanPort: lgwanPort, publicHost: publicHost, publicPort: publicPort, security: security),
                database: database, master: master, logger: logger,
                onListening: { name, address in announce("vrs: \(name) listener on http://\(address)") })
            let group = ServiceGroup(
                configuration: .init(
                    services: (checkpointer.map { [$0 as any Service] } ?? []) + [applications.revocations, applications.lgwan, applications.public,
                                                                               applications.transfers],
                    gracefulShutdownSignals: [.sigterm, .sigint],
                    logger: logger))
            try await group.run()
        }
        announce("vrs: stopped")
    }
}

/// Writes a line to standard output unbuffered: a supervisor or a pipe must see it at once.
func announce(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
