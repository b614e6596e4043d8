import Foundation
import Hummingbird
import Logging
import PostgresNIO
import VRSDomain
import VRSStore

/// The public listener's tablet routes. `GET /v1/tablet/device` lets a tablet check its token;
/// dose submission comes with the vaccination work. Nothing here takes or returns a name or number.
struct TabletController: Sendable {
    struct DeviceView: Encodable { let deviceId: String; let municipalityCode: String }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("v1/tablet/device") { _, context in
            guard case .device(let device) = context.caller else { throw AppError.unauthorized("present a device token") }
            return try JSONEncoder.response(DeviceView(deviceId: device.deviceID.uuidString.lowercased(), municipalityCode: device.municipality.rawValue))
        }
    }
}
