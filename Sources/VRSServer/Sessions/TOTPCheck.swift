import ExtrasBase64
import Foundation
import Hummingbird
import HummingbirdOTP
import Logging
import PostgresNIO
import VRSDomain
import VRSStore

/// TOTP (RFC 6238, 30-second steps, 6 digits) with a window of one step either side and no reuse.
struct TOTPCheck {
    static let timeStep = 30

    /// The accepted step for `code` at `now`, or nil. A step at or before `lastStep` was used already.
    static func acceptedStep(code: String, seed: [UInt8], now: Date, lastStep: Int64?) -> Int64? {
        guard code.count == 6, let value = Int(code) else { return nil }
        let totp = TOTP(secret: String(decoding: seed, as: UTF8.self), length: 6, timeStep: timeStep)
        let current = Int64(now.timeIntervalSince1970) / Int64(timeStep)
        for step in [current, current - 1, current + 1] where step > (lastStep ?? Int64.min) {
            if totp.compute(date: Date(timeIntervalSince1970: TimeInterval(step * Int64(timeStep)))) == value { return step }
        }
        return nil
    }
}
