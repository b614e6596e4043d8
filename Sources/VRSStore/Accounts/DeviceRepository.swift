import Foundation
import Logging
import PostgresNIO
import VRSDomain

/// A tablet's registration: its token is stored only as a hash and binds it to one municipality.
public struct DeviceRecord: Sendable, Equatable {
    public let deviceID: UUID
    public let municipality: MunicipalityCode
}

/// A tablet as its admin's list shows it (never its token).
public struct DeviceListing: Sendable, Equatable {
    public let deviceID: UUID
    public let label: String
    public let createdBy: String
    public let createdAt: Date
    public let lastSeenAt: Date?
    public let revokedAt: Date?
}

/// Device tokens issued by municipal admins.
public struct DeviceRepository: Sendable {
    let logger: Logger

    /// A repository logging to `logger`.
    public init(logger: Logger) { self.logger = logger }

    /// Registers a device of the bound municipality (an admin's transaction).
    public func create(label: String, tokenHash: Data, createdBy: String, in municipality: MunicipalityCode, on connection: PostgresConnection) async throws -> UUID {
        let id = UUID()
        try await connection.query(
            """
            INSERT INTO vrs.device (device_id, municipality_code, label, token_hash, created_by)
            VALUES (\(id), \(municipality), \(label), \(tokenHash), \(createdBy))
            """,
            logger: logger)
        return id
    }

    /// The live (not revoked) device holding this token, through the `vrs.auth_device` door.
    public func find(tokenHash: Data, on connection: PostgresConnection) async throws -> DeviceRecord? {
        try await Self.device(in: connection.query(try Self.lookup(tokenHash), logger: logger))
    }

    /// The same check in autocommit, as the login role itself: one round trip (migration 0010).
    public func find(tokenHash: Data, on client: PostgresClient) async throws -> DeviceRecord? {
        try await Self.device(in: client.query(try Self.lookup(tokenHash), logger: logger))
    }

    private static func lookup(_ tokenHash: Data) throws -> PostgresQuery {
        try "SELECT device_id, municipality_code::text FROM vrs.auth_device(\(tokenHash))"
    }

    private static func device(in rows: PostgresRowSequence) async throws -> DeviceRecord? {
        for try await (id, code) in rows.decode((UUID, String).self) {
            return DeviceRecord(deviceID: id, municipality: try MunicipalityCode(code))
        }
        return nil
    }

    /// The bound municipality's tablets, newest first, revoked ones included (they say when).
    public func list(in municipality: MunicipalityCode, on connection: PostgresConnection) async throws -> [DeviceListing] {
        var result: [DeviceListing] = []
        let rows = try await connection.query(
            """
            SELECT device_id, label, created_by, created_at, last_seen_at, revoked_at FROM vrs.device
            WHERE municipality_code = \(municipality) ORDER BY created_at DESC, device_id
            """,
            logger: logger)
        for try await (id, label, createdBy, created, seen, revoked) in rows.decode((UUID, String, String, Date, Date?, Date?).self) {
            result.append(DeviceListing(deviceID: id, label: label, createdBy: createdBy, createdAt: created, lastSeenAt: seen, revokedAt: revoked))
        }
        return result
    }

    /// Revokes a device of the bound municipality; false when there is no such live device.
    public func revoke(_ deviceID: UUID, in municipality: MunicipalityCode, on connection: PostgresConnection) async throws -> Bool {
        var found = false
        for try await _ in try await connection.query(
            """
            UPDATE vrs.device SET revoked_at = now()
            WHERE municipality_code = \(municipality) AND device_id = \(deviceID) AND revoked_at IS NULL RETURNING 1
            """,
            logger: logger) { found = true }
        return found
    }
}
