import Foundation
import Hummingbird
import Logging
import PostgresNIO
import VRSDomain
import VRSStore

/// The public listener's tablet routes. Nothing here takes or returns a name or a number.
///
/// `POST /v1/tablet/vaccinations` costs one round trip to the database: the door
/// (`vrs.tablet_record_vaccination`) checks the device token itself and stores the dose in the
/// municipality the coupon code names, whichever municipality issued the tablet.
struct TabletController: Sendable {
    let database: Database

    struct DeviceView: Encodable { let deviceId: String; let municipalityCode: String }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("v1/tablet/device") { _, context in
            guard case .device(let device) = context.caller else { throw AppError.unauthorized("present a device token") }
            return try JSONEncoder.response(DeviceView(deviceId: device.deviceID.uuidString.lowercased(), municipalityCode: device.municipality.rawValue))
        }
        router.post("v1/tablet/vaccinations") { request, context in
            // No device lookup ran for this route (AuthenticationMiddleware.doorAuthenticated): the door checks the token.
            guard let tokenHash = context.deviceTokenHash else {
                throw AppError.unauthorized("present a device token")
            }
            let body = try await request.decodeJSON(as: DoseBody.self, context: context)
            let (report, _) = try body.report(requireClientRecordID: true, today: CalendarDate.today())
            let outcome = try await VaccinationRepository(logger: context.logger).recordFromTablet(
                report, tokenHash: tokenHash, requestID: context.requestID, on: database.client)
            return try JSONEncoder.response(DoseAnswer(outcome), status: .created)
        }
    }
}
