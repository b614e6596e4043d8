import Foundation
import Logging
import PostgresNIO
import VRSDomain

/// The host's statistics work (owner transactions): the age bands and the suppression threshold,
/// and rebuilding the dose tallies from the doses, one municipality per transaction.
public struct StatisticsAdministration: Sendable {
    let admin: PostgresClient
    let logger: Logger

    /// Works over an administrative pool (owner transactions).
    public init(admin: PostgresClient, logger: Logger) {
        self.admin = admin
        self.logger = logger
    }

    /// The settings in force.
    public struct Settings: Sendable, Equatable {
        public let ageBands: [String]
        public let minCell: Int
    }

    /// Reads the bands and the threshold.
    public func settings() async throws -> Settings {
        try await admin.ownerTransaction(logger: logger) { connection in
            var bands: [String] = []
            for try await label in try await connection.query(
                "SELECT label FROM vrs.statistics_age_band ORDER BY position", logger: logger).decode(String.self) {
                bands.append(label)
            }
            var minCell = 10
            for try await value in try await connection.query(
                "SELECT min_cell FROM vrs.statistics_setting", logger: logger).decode(Int32.self) {
                minCell = Int(value)
            }
            return Settings(ageBands: bands, minCell: minCell)
        }
    }

    /// Sets the threshold and, when given, new age bands (then every tally is rebuilt, since the
    /// counts are kept per band). Returns the municipalities rebuilt.
    @discardableResult
    public func configure(ageBands: [String]?, minCell: Int?) async throws -> Int {
        try await admin.ownerTransaction(logger: logger) { connection in
            if let minCell {
                try await connection.perform("UPDATE vrs.statistics_setting SET min_cell = \(minCell)", logger: logger)
            }
            if let ageBands {
                try await connection.perform("SELECT vrs.set_statistics_age_bands(\(ageBands))", logger: logger)
            }
        }
        return ageBands == nil ? 0 : try await rebuild()
    }

    /// Recomputes the tallies of `municipality`, or of every provisioned municipality one
    /// transaction each; returns how many were rebuilt.
    @discardableResult
    public func rebuild(_ municipality: MunicipalityCode? = nil) async throws -> Int {
        var codes: [String] = []
        if let municipality {
            codes = [municipality.rawValue]
        } else {
            let rows = try await admin.query("SELECT code::text FROM vrs.municipality ORDER BY code", logger: logger)
            for try await code in rows.decode(String.self) { codes.append(code) }
        }
        for code in codes {
            try await admin.ownerTransaction(logger: logger) { connection in
                try await connection.perform("SELECT vrs.rebuild_dose_tally(\(code)::char(6))", logger: logger)
            }
        }
        return codes.count
    }
}
