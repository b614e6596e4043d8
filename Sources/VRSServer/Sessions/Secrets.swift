import Crypto
import ExtrasBase64
import Foundation
import Hummingbird
import HummingbirdBcrypt
import Logging
import PostgresNIO
import VRSDomain
import VRSStore

/// Random tokens and passwords, and their stored forms.
enum Secrets {
    /// A bearer token: a prefix naming its kind and 256 random bits, base64url.
    static func token(prefix: String) -> String {
        prefix + Data(randomBytes(32)).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// What is stored for a token: its SHA-256 (a token is random, so no salt or slow hash is needed).
    static func tokenHash(_ token: String) -> Data {
        Data(SHA256.hash(data: Data(token.utf8)))
    }

    /// A one-time password to hand over in person: 16 characters without look-alikes.
    static func initialPassword() -> String {
        let alphabet = Array("abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<16).map { _ in alphabet.randomElement(using: &generator)! })
    }

    /// A TOTP seed: 32 random letters and digits (about 190 bits). HummingbirdOTP keys HMAC with
    /// the seed's UTF-8 bytes and puts their base32 form in the otpauth:// URL.
    static func totpSeed() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<32).map { _ in alphabet.randomElement(using: &generator)! })
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }
}

/// bcrypt, run off the event loop and off Swift's cooperative pool (each hash takes ~0.25 s at cost 12).
public struct PasswordHasher: Sendable {
    /// The bcrypt cost factor (≥ 12 in production).
    public let cost: UInt8
    /// A hash of a random password, verified when the user does not exist so that unknown users
    /// take as long as wrong passwords.
    let decoy: String

    /// A hasher with the given cost.
    public init(cost: UInt8) {
        self.cost = cost
        decoy = Bcrypt.hash(Secrets.initialPassword(), cost: cost)
    }

    /// A new one-time password and its hash: the password is shown once, only the hash is stored.
    func oneTimePassword() async -> (password: String, hash: String) {
        let password = Secrets.initialPassword()
        return (password, await hash(password))
    }

    /// Hashes a password.
    public func hash(_ password: String) async -> String {
        await offloaded { Bcrypt.hash(password, cost: cost) }
    }

    /// Checks a password against a hash (or against the decoy when there is none).
    public func verify(_ password: String, hash: String?) async -> Bool {
        let matches = await offloaded { Bcrypt.verify(password, hash: hash ?? decoy) }
        return hash != nil && matches
    }

    private func offloaded<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: work()) }
        }
    }
}
