import ExtrasBase64
import Foundation
import HummingbirdBcrypt
import HummingbirdOTP
import VRSCrypto

/// What a new operator receives: a one-time password and a TOTP seed, and what is stored of them.
public struct OperatorEnrolment: Sendable {
    public let password: String
    public let passwordHash: String
    public let otpauthURL: String
    public let sealedSeed: Data

    /// Makes a password and a TOTP seed; the seed is stored sealed under the master key.
    public static func make(userID: String, master: MasterKey, bcryptCost: UInt8) -> OperatorEnrolment {
        let password = Secrets.initialPassword()
        let seed = Secrets.totpSeed()
        let url = TOTP(secret: seed, length: 6, timeStep: TOTPCheck.timeStep).createAuthenticatorURL(label: userID, issuer: "vrs")
        return OperatorEnrolment(
            password: password, passwordHash: Bcrypt.hash(password, cost: bcryptCost), otpauthURL: url,
            sealedSeed: master.seal(Data(seed.utf8), context: "account.totp/\(userID)"))
    }

    /// The current code for the base32 `secret` of an otpauth:// URL, as an authenticator app computes it.
    public static func currentCode(base32Seed: String, at date: Date = Date()) -> String {
        let seed = String(decoding: (try? base32Seed.base32decoded()) ?? [], as: UTF8.self)
        return String(format: "%06d", TOTP(secret: seed, length: 6, timeStep: TOTPCheck.timeStep).compute(date: date))
    }
}
