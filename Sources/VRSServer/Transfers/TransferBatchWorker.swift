import Foundation
import Logging
import Metrics
import ServiceLifecycle
import VRSStore

/// Answers transfer batches in the background while the server runs: claims the oldest waiting
/// batch, answers it chunk by chunk (one previous municipality at a time), and purges expired
/// batches every few minutes. At graceful shutdown it finishes the chunk in hand and gives the
/// lease back, so the next start (or another service on the same database) goes on from there.
///
/// A failure is logged and retried at the next poll; it never stops the server.
public struct TransferBatchWorker: Service {
    /// The claim, chunk and purge operations, under this process's worker name.
    public let work: TransferBatchWork
    let pollInterval: Duration
    let purgeInterval: Duration
    let logger: Logger

    /// A worker polling every `pollInterval` when idle and purging every `purgeInterval`.
    public init(work: TransferBatchWork, pollInterval: Duration, purgeInterval: Duration = .seconds(300), logger: Logger) {
        self.work = work
        self.pollInterval = pollInterval
        self.purgeInterval = purgeInterval
        self.logger = logger
    }

    /// Runs until graceful shutdown or cancellation.
    public func run() async throws {
        var lastPurge = ContinuousClock.now - purgeInterval
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if ContinuousClock.now - lastPurge >= purgeInterval {
                lastPurge = .now
                await purge()
            }
            let worked = await workOne()
            if worked { continue }
            let interval = pollInterval
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                break
            }
        }
    }

    /// Claims and works one batch; false when none was waiting (or the database failed).
    func workOne() async -> Bool {
        do {
            guard let batch = try await work.claim() else { return false }
            let outcome = try await work.run(batch, stop: { Task.isShuttingDownGracefully || Task.isCancelled })
            if outcome == .userLocked { TransferController.locks.increment() }
            logger.info("transfer batch worked", metadata: ["batch": "\(batch.id.uuidString.lowercased())", "outcome": "\(outcome)"])
            return true
        } catch {
            logger.error("transfer batch work failed", metadata: ["error.type": "\(type(of: error))"])
            return false
        }
    }

    private func purge() async {
        do {
            let expired = try await work.purge()
            if expired > 0 { logger.info("transfer batches expired", metadata: ["batches": "\(expired)"]) }
        } catch {
            logger.error("transfer batch purge failed", metadata: ["error.type": "\(type(of: error))"])
        }
    }
}
