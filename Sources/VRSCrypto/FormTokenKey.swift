import Crypto
import Foundation

/// Makes and checks the console's anti-forgery (CSRF) tokens: an HMAC of the session's token hash
/// under a key derived from the master key, so every process of the service accepts the same token
/// and nothing has to be stored (the synchronizer token pattern without a token table).
///
/// Deliberately not `CustomStringConvertible`: it holds key material.
public struct FormTokenKey: Sendable {
    private let key: SymmetricKey

    /// Derives the key from `master` (HKDF-SHA-256, no salt, info "vrs console form token v1").
    public init(master: MasterKey) {
        key = HKDF<SHA256>.deriveKey(inputKeyMaterial: master.key, info: Data("vrs console form token v1".utf8), outputByteCount: 32)
    }

    /// The token for forms posted under the session (or pre-session value) `binding`.
    public func token(for binding: Data) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: binding, using: key)
        return Data(mac).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Whether `presented` is the token for `binding`, compared in constant time.
    public func verify(_ presented: String, for binding: Data) -> Bool {
        let expected = Array(token(for: binding).utf8)
        let given = Array(presented.utf8)
        guard expected.count == given.count else { return false }
        return zip(expected, given).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
