import Logging
import ServiceLifecycle
import VRSCrypto
import VRSStore

/// Anchors the audit chains outside the database while the server runs: a checkpoint at start,
/// every `interval`, and a last one at graceful shutdown (listed first in the service group, it
/// stops after the listeners, so the last checkpoint sees their last events).
///
/// A failed checkpoint is logged and retried at the next tick; it never stops the server.
public struct AuditCheckpointService: Service {
    let database: Database
    let file: AuditCheckpointFile
    let signer: AuditCheckpointSigner
    let interval: Duration
    let logger: Logger

    /// A checkpointer writing to `file`, signing with `signer`.
    public init(database: Database, file: AuditCheckpointFile, signer: AuditCheckpointSigner, interval: Duration, logger: Logger) {
        self.database = database
        self.file = file
        self.signer = signer
        self.interval = interval
        self.logger = logger
    }

    /// Runs until graceful shutdown (then checkpoints once more) or cancellation.
    public func run() async throws {
        await checkpoint()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let interval = self.interval
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                break   // graceful shutdown (or cancellation) ended the wait
            }
            await checkpoint()
        }
        if Task.isShuttingDownGracefully && !Task.isCancelled { await checkpoint() }
    }

    /// One checkpoint, given up after 15 s; failures are logged, not thrown. The bound matters at
    /// shutdown: with the database gone, the pool would wait for a connection forever and keep
    /// `vrs serve` from exiting on SIGTERM.
    func checkpoint() async {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { await attempt(); return true }
            group.addTask { (try? await Task.sleep(for: .seconds(15))) != nil ? false : true }
            if await group.next() == false {
                logger.error("audit checkpoint gave up after 15 s: the database did not answer", metadata: ["file": "\(file.path)"])
            }
            group.cancelAll()
        }
    }

    private func attempt() async {
        do {
            let result = try await AuditLog.checkpoint(database: database, file: file, signer: signer, logger: logger)
            if let line = result.written {
                logger.info("audit checkpoint written", metadata: ["chains": "\(line.heads.count)", "file": "\(file.path)"])
            }
        } catch {
            logger.error("audit checkpoint failed", metadata: ["file": "\(file.path)", "error": "\(String(describing: error))"])
        }
    }
}
