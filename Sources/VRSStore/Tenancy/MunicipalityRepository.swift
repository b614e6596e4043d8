import Foundation
import Logging
import PostgresNIO
import VRSCrypto
import VRSDomain

/// A provisioned municipality as operators see it: no personal data.
public struct Municipality: Sendable, Equatable {
    public let code: MunicipalityCode
    public let name: String
    public let prefecture: String
    public let kind: String
    public let keyVersion: Int
    public let status: String
}

/// The tenant registry: provisioning creates the wrapped keys and the partitions.
public struct MunicipalityRepository: Sendable {
    let master: MasterKey
    let logger: Logger

    /// A repository wrapping new keys with `master`.
    public init(master: MasterKey, logger: Logger) {
        self.master = master
        self.logger = logger
    }

    /// Provisions one municipality (run as the operator scope); returns false when it already existed,
    /// in which case nothing changes.
    public func provision(_ code: MunicipalityCode, on connection: PostgresConnection) async throws -> Bool {
        let wrapped = try MunicipalityKeys.generate(for: code, version: 1).wrapped(by: master)
        do {
            let rows = try await connection.query(
                "SELECT vrs.provision_municipality(\(code), \(wrapped.data), \(wrapped.index), \(master.id))",
                logger: logger)
            for try await created in rows.decode(Bool.self) { return created }
            return false
        } catch let error as PSQLError where error.sqlState == "VRS01" {
            throw StoreError.unknownMunicipality(code)
        } catch let error as PSQLError where error.sqlState == "VRS02" {
            throw StoreError.notATenant(code)
        }
    }

    /// Every provisioned municipality visible to the scope (operators: all; a municipality: itself).
    public func list(on connection: PostgresConnection) async throws -> [Municipality] {
        var result: [Municipality] = []
        let rows = try await connection.query(
            "SELECT code::text, name, prefecture, kind, key_version, status FROM vrs.municipality ORDER BY code", logger: logger)
        for try await (code, name, prefecture, kind, version, status) in rows.decode((String, String, String, String, Int, String).self) {
            result.append(Municipality(code: try MunicipalityCode(code), name: name, prefecture: prefecture, kind: kind, keyVersion: version, status: status))
        }
        return result
    }
}

extension MunicipalityRepository {
    /// Whether the municipality is provisioned and visible to the transaction's scope.
    public static func exists(_ code: MunicipalityCode, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        for try await _ in try await connection.query("SELECT 1 FROM vrs.municipality WHERE code = \(code)", logger: logger) {
            return true
        }
        return false
    }
}
