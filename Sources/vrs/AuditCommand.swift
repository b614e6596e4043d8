import ArgumentParser
import Foundation
import VRSCrypto
import VRSDomain
import VRSStore

/// `vrs audit verify` and `vrs audit checkpoint`: the tamper-evident audit log and its anchor
/// outside the database.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "The tamper-evident audit log.", subcommands: [Verify.self, Checkpoint.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute every chain (or one municipality's) and compare it with the checkpoint file; exit 1 naming each broken chain.")
        @OptionGroup var store: StoreOptions
        @Option(help: "Only this municipality's chain (000000 is the operators' chain).") var municipality: String?

        func run() async throws {
            let chain = try municipality.map { $0 == "000000" ? $0 : try MunicipalityCode($0).rawValue }
            let runtime = try Runtime(store)
            var failed = false
            var anchored: [String: AuditChainHead]?
            if let path = runtime.auditCheckpointPath {
                let file = AuditCheckpointFile(path: path)
                do {
                    let lines = try file.read(keys: [AuditCheckpointSigner(master: try runtime.masterKey()).verificationKey])
                    if lines.isEmpty { warn("no checkpoint in \(path) yet (`vrs audit checkpoint`): the chains are checked against themselves only") }
                    anchored = AuditCheckpoint.fold(lines)
                } catch let error as AuditCheckpointError {
                    print("BROKEN checkpoint file: \(error)")
                    failed = true
                }
            } else {
                warn("VRS_AUDIT_CHECKPOINT_FILE unset: cannot anchor; the chains are checked against themselves only")
            }
            let verdicts = try await runtime.withStore { _, admin in
                guard let admin else { throw ValidationError("verification reads every chain: set VRS_ADMIN_DATABASE_URL") }
                return try await AuditLog.verify(chain: chain, admin: admin, logger: runtime.logger, checkpoint: anchored)
            }
            for verdict in verdicts {
                if let seq = verdict.brokenSeq {
                    failed = true
                    print(verdict.againstCheckpoint
                        ? "BROKEN chain \(verdict.chain): \(verdict.problem ?? "") (\(verdict.events) events in the database)"
                        : "BROKEN chain \(verdict.chain): event seq \(seq): \(verdict.problem ?? "")")
                } else {
                    let anchor = anchored?[verdict.chain].map { ", checkpoint seq \($0.seq) matches" } ?? ""
                    print("ok     chain \(verdict.chain): \(verdict.events) events\(anchor)")
                }
            }
            if failed { throw ExitCode(1) }
        }
    }

    struct Checkpoint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign every chain's head and append the heads that moved to the checkpoint file (VRS_AUDIT_CHECKPOINT_FILE).")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let runtime = try Runtime(store)
            guard let path = runtime.auditCheckpointPath else {
                throw ValidationError("set VRS_AUDIT_CHECKPOINT_FILE: with an external database the checkpoint file has no default (keep it off the database host)")
            }
            let signer = AuditCheckpointSigner(master: try runtime.masterKey())
            let result = try await runtime.withStore { database, _ in
                try await AuditLog.checkpoint(database: database, file: AuditCheckpointFile(path: path), signer: signer, logger: runtime.logger)
            }
            if let line = result.written {
                print("checkpoint \(result.lines) written to \(path): \(line.heads.count) chain heads moved, key \(line.keyId)")
            } else {
                print("no chain moved since checkpoint \(result.lines) in \(path)")
            }
            for (chain, problem) in result.diverged.sorted(by: { $0.key < $1.key }) {
                print("DIVERGED chain \(chain): \(problem); not re-anchored, run `vrs audit verify`")
            }
            if !result.diverged.isEmpty { throw ExitCode(1) }
        }
    }
}

/// A warning on standard error, so that it does not mix with a command's results.
private func warn(_ line: String) {
    FileHandle.standardError.write(Data(("warning: " + line + "\n").utf8))
}
