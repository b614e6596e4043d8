import Foundation
import Logging
import PostgresNIO
import VRSCrypto
import VRSDomain

/// Unwrapped municipality keys, cached in memory and loaded through the caller's own transaction
/// (so row-level security decides whose keys may be read).
public actor KeyRing {
    let master: MasterKey
    private var cache: [MunicipalityCode: [Int: MunicipalityKeys]] = [:]
    private var indexCache: [MunicipalityCode: [Int: BlindIndexer]] = [:]

    /// A key ring unwrapping with `master`.
    public init(master: MasterKey) { self.master = master }

    /// The version new rows of `municipality` are written with.
    public func activeVersion(of municipality: MunicipalityCode, on connection: PostgresConnection, logger: Logger) async throws -> Int {
        let rows = try await connection.query(
            "SELECT key_version FROM vrs.municipality WHERE code = \(municipality)", logger: logger)
        for try await version in rows.decode(Int.self) { return version }
        throw StoreError.municipalityNotProvisioned(municipality)
    }

    /// The cipher new rows are written with.
    public func activeCipher(for municipality: MunicipalityCode, on connection: PostgresConnection, logger: Logger) async throws -> IndividualNumberCipher {
        let version = try await activeVersion(of: municipality, on: connection, logger: logger)
        return try await cipher(for: municipality, version: version, on: connection, logger: logger)
    }

    /// The cipher for one key version (rows keep the version they were written with).
    public func cipher(for municipality: MunicipalityCode, version: Int, on connection: PostgresConnection, logger: Logger) async throws -> IndividualNumberCipher {
        if let keys = cache[municipality]?[version] { return IndividualNumberCipher(keys: keys) }
        try await reload(municipality, on: connection, logger: logger)
        guard let keys = cache[municipality]?[version] else { throw StoreError.missingKey(municipality, version: version) }
        return IndividualNumberCipher(keys: keys)
    }

    /// Every stored key version's cipher, newest first: a lookup during data-key rotation must try each.
    public func allCiphers(for municipality: MunicipalityCode, on connection: PostgresConnection, logger: Logger) async throws -> [IndividualNumberCipher] {
        let active = try await activeVersion(of: municipality, on: connection, logger: logger)
        if cache[municipality]?[active] == nil { try await reload(municipality, on: connection, logger: logger) }
        return (cache[municipality] ?? [:]).values.sorted { $0.version > $1.version }.map { IndividualNumberCipher(keys: $0) }
    }

    /// The index keys of `provider` (every version, newest first) for a transfer inquiry to it:
    /// the door `vrs.inquiry_index_keys` refuses a route the caller may not take (VRS50, VRS53).
    public func inquiryIndexers(for provider: MunicipalityCode, purpose: String?, on connection: PostgresConnection,
                                logger: Logger) async throws -> [BlindIndexer] {
        var indexers: [BlindIndexer] = []
        do {
            let rows = try await connection.query(
                "SELECT version, wrapped FROM vrs.inquiry_index_keys(\(provider), \(purpose))", logger: logger)
            for try await (version, wrapped) in rows.decode((Int, Data).self) {
                if let known = indexCache[provider]?[version] {
                    indexers.append(known)
                    continue
                }
                let indexer = try BlindIndexer.unwrap(wrapped, municipality: provider, version: version, master: master)
                indexCache[provider, default: [:]][version] = indexer
                indexers.append(indexer)
            }
        } catch {
            throw translated(error)
        }
        return indexers
    }

    /// Forgets cached keys (after a rotation).
    public func forget(_ municipality: MunicipalityCode) {
        cache[municipality] = nil
        indexCache[municipality] = nil
    }

    private func reload(_ municipality: MunicipalityCode, on connection: PostgresConnection, logger: Logger) async throws {
        var wrapped: [Int: [String: Data]] = [:]
        let rows = try await connection.query(
            "SELECT version, purpose, wrapped FROM vrs.municipality_key WHERE municipality_code = \(municipality)",
            logger: logger)
        for try await (version, purpose, bytes) in rows.decode((Int, String, Data).self) {
            wrapped[version, default: [:]][purpose] = bytes
        }
        var versions: [Int: MunicipalityKeys] = [:]
        for (version, pair) in wrapped {
            guard let data = pair[KeyPurpose.data.rawValue], let index = pair[KeyPurpose.index.rawValue] else { continue }
            versions[version] = try MunicipalityKeys.unwrap(data: data, index: index, municipality: municipality, version: version, master: master)
        }
        cache[municipality] = versions
    }
}
