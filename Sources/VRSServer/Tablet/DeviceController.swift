import Foundation
import Hummingbird
import Logging
import PostgresNIO
import VRSDomain
import VRSStore

/// Tablet tokens, issued and revoked by a municipality's admin; the token is shown once and
/// binds the tablet to the issuing municipality.
struct DeviceController: Sendable {
    let database: Database

    struct NewDevice: Decodable { let label: String }
    struct IssuedDevice: Encodable { let deviceId: String; let label: String; let municipalityCode: String; let token: String }

    func addRoutes(to router: Router<AppRequestContext>) {
        let admins = router.group("v1/devices").add(middleware: RequireRole(roles: [.admin]))
        admins.post { request, context in
            let user = try context.user
            guard let municipality = user.municipality else { throw AppError.forbidden("only a municipality's admin issues device tokens") }
            let label = try await request.decodeJSON(as: NewDevice.self, context: context).label.trimmingCharacters(in: .whitespacesAndNewlines)
            guard (1...100).contains(label.unicodeScalars.count) else {
                throw AppError.invalid([.init(field: "label", code: "length", message: "must be 1–100 characters")])
            }
            let token = Secrets.token(prefix: TokenPrefix.device)
            let id = try await database.transaction(for: context) { connection in
                let id = try await DeviceRepository(logger: context.logger).create(
                    label: label, tokenHash: Secrets.tokenHash(token), createdBy: user.userID, in: municipality, on: connection)
                try await AuditLog(logger: context.logger).append(
                    context.event("device.create", target: ("device", id.uuidString.lowercased()), details: ["label": label]), on: connection)
                return id
            }
            return try JSONEncoder.response(IssuedDevice(deviceId: id.uuidString.lowercased(), label: label, municipalityCode: municipality.rawValue, token: token), status: .created)
        }
        admins.get { _, context in
            guard let municipality = try context.user.municipality else { throw AppError.forbidden("only a municipality's admin lists its tablets") }
            struct Device: Encodable {
                let deviceId: String; let label: String; let createdBy: String; let createdAt: Date; let lastSeenAt: Date?; let revokedAt: Date?
            }
            struct List: Encodable { let devices: [Device] }
            let devices = try await database.transaction(for: context) { connection in
                try await DeviceRepository(logger: context.logger).list(in: municipality, on: connection)
            }
            return try JSONEncoder.response(List(devices: devices.map {
                Device(deviceId: $0.deviceID.uuidString.lowercased(), label: $0.label, createdBy: $0.createdBy, createdAt: $0.createdAt,
                       lastSeenAt: $0.lastSeenAt, revokedAt: $0.revokedAt)
            }))
        }
        admins.delete(":deviceId") { _, context in
            let user = try context.user
            guard let municipality = user.municipality, let id = UUID(uuidString: try context.parameters.require("deviceId")) else {
                throw AppError.notFound("no such device")
            }
            let revoked = try await database.transaction(for: context) { connection in
                let revoked = try await DeviceRepository(logger: context.logger).revoke(id, in: municipality, on: connection)
                if revoked {
                    try await AuditLog(logger: context.logger).append(context.event("device.revoke", target: ("device", id.uuidString.lowercased())), on: connection)
                }
                return revoked
            }
            guard revoked else { throw AppError.notFound("no live device \(id.uuidString.lowercased()) in your municipality") }
            return Response(status: .noContent)
        }
    }
}
