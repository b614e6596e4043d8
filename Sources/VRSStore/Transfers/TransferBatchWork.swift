import Foundation
import Logging
import PostgresNIO
import VRSCrypto
import VRSDomain

/// A batch a worker holds the lease of.
public struct ClaimedBatch: Sendable, Equatable {
    public var id: UUID
    public var municipality: MunicipalityCode
    public var accountID: String
    public var purpose: String
    public var requestID: String
}

/// How a chunk of a batch ended.
public enum ChunkOutcome: Sendable, Equatable {
    /// Lines were answered; more may wait.
    case answered(Int)
    /// No line was left: the batch is done.
    case done
    /// The batch's user is locked out by the not-found guard: the batch waits for an admin.
    case userLocked
    /// The lease went to another worker (this one was too slow): leave the batch alone.
    case leaseLost
    /// The worker stopped between chunks and gave the lease back.
    case released
}

/// The worker's side of transfer batches: claim (as `vrs_worker`), answer a chunk of lines in one
/// transaction in the asking municipality's scope, release, purge. Several services share one
/// database safely: a claim takes only a batch no live lease holds, and the door refuses a line
/// answered already, so no line is answered twice.
public struct TransferBatchWork: Sendable {
    let database: Database
    let keyRing: KeyRing
    /// This worker's name in leases; unique per process.
    public let worker: String
    let lease: Duration
    let chunkSize: Int

    /// Work under the name `worker`, holding leases of `lease`, answering `chunkSize` lines per transaction.
    public init(database: Database, keyRing: KeyRing, worker: String = "worker-" + UUID().uuidString.lowercased(),
                lease: Duration = .seconds(60), chunkSize: Int = 50) {
        self.database = database
        self.keyRing = keyRing
        self.worker = worker
        self.lease = lease
        self.chunkSize = chunkSize
    }

    private var leaseSeconds: Int { Int(lease.components.seconds) }

    /// Leases the oldest batch waiting, if any.
    public func claim() async throws -> ClaimedBatch? {
        try await database.transaction(as: .worker) { connection in
            let rows = try await connection.query(
                "SELECT batch_id, municipality_code::text, account_id, purpose_code, request_id FROM vrs.claim_transfer_batch(\(worker), \(leaseSeconds)::int)",
                logger: database.logger)
            for try await (id, code, account, purpose, request) in rows.decode((UUID, String, String, String, String?).self) {
                return ClaimedBatch(id: id, municipality: try MunicipalityCode(code), accountID: account, purpose: purpose,
                                    requestID: request ?? "")
            }
            return nil
        }
    }

    /// Answers the next chunk of `batch` (lines of one previous municipality), all or nothing.
    public func answerChunk(of batch: ClaimedBatch) async throws -> ChunkOutcome {
        let actor = ActorLabels(actorID: batch.accountID, actorRole: "staff", requestID: batch.requestID)
        let inquiries = TransferInquiries(keyRing: keyRing, actor: actor, logger: database.logger)
        do {
            return try await database.transaction(as: .municipal(batch.municipality), actor: actor) { connection in
                let rows = try await connection.query(
                    """
                    SELECT line_number, provider_code::text, person_id, individual_number_cipher, key_version
                      FROM vrs.transfer_batch_lines(\(batch.id), \(worker), \(chunkSize)::int, \(leaseSeconds)::int)
                    """, logger: database.logger)
                var lines: [(Int, String, UUID?, Data, Int)] = []
                for try await line in rows.decode((Int, String, UUID?, Data, Int).self) { lines.append(line) }
                if lines.isEmpty { return .done }
                var answered = 0
                var indexers: [MunicipalityCode: [BlindIndexer]] = [:]
                for (number, code, person, sealed, version) in lines {
                    let provider = try MunicipalityCode(code)
                    if indexers[provider] == nil {
                        indexers[provider] = try await keyRing.inquiryIndexers(for: provider, purpose: batch.purpose, on: connection,
                                                                               logger: database.logger)
                    }
                    let cipher = try await keyRing.cipher(for: batch.municipality, version: version, on: connection, logger: database.logger)
                    let answer = try await inquiries.ask(try cipher.open(sealed), of: provider, purpose: batch.purpose, person: person,
                                                         line: (batch.id, number), indexers: indexers[provider], on: connection)
                    answered += 1
                    if answer.locked { return .userLocked }
                }
                return .answered(answered)
            }
        } catch {
            switch translated(error) {
            case StoreError.transferRefused(.locked, _, _, _): return .userLocked
            case StoreError.transferRefused(.lease, _, _, _): return .leaseLost
            case let other: throw other
            }
        }
    }

    /// Gives the lease back, so another worker (or this one, later) goes on where this one stopped.
    public func release(_ batch: ClaimedBatch) async throws {
        try await database.transaction(as: .worker) { connection in
            try await connection.perform("SELECT vrs.release_transfer_batch(\(batch.id), \(worker))", logger: database.logger)
        }
    }

    /// Deletes the lines of batches past their retention; returns how many batches expired.
    public func purge() async throws -> Int {
        try await database.transaction(as: .worker) { connection in
            for try await count in try await connection.query("SELECT vrs.purge_transfer_batches()", logger: database.logger).decode(Int.self) {
                return count
            }
            return 0
        }
    }

    /// Works one claimed batch until it is done, its user is locked, its lease is lost or `stop`
    /// says so between chunks (then the lease is given back: `.released`). Returns how it ended.
    @discardableResult
    public func run(_ batch: ClaimedBatch, stop: @Sendable () -> Bool = { Task.isCancelled }) async throws -> ChunkOutcome {
        while true {
            if stop() {
                try await release(batch)
                return .released
            }
            let outcome = try await answerChunk(of: batch)
            switch outcome {
            case .answered: continue
            case .done, .leaseLost, .released: return outcome
            case .userLocked:
                try await release(batch)
                return outcome
            }
        }
    }

    /// Claims and works batches until none waits; returns how many were finished.
    public func drain() async throws -> Int {
        var finished = 0
        while let batch = try await claim() {
            if try await run(batch) == .done { finished += 1 }
        }
        return finished
    }
}
