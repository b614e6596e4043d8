import Crypto
import Foundation

extension MasterKey {
    /// Seals a small server secret (a TOTP seed) under the master key, bound to `context`
    /// (e.g. `account.totp/<userId>`) so that it cannot be moved to another row.
    public func seal(_ secret: some DataProtocol, context: String) -> Data {
        // AES-GCM with a random nonce cannot fail for a 256-bit key.
        try! AES.GCM.seal(Data(secret), using: key, authenticating: Data("vrs/\(context)".utf8)).combined!
    }

    /// Opens what `seal` produced for the same context.
    public func open(_ sealed: some DataProtocol, context: String) throws(CipherError) -> Data {
        do {
            return try AES.GCM.open(AES.GCM.SealedBox(combined: Data(sealed)), using: key, authenticating: Data("vrs/\(context)".utf8))
        } catch {
            throw .authenticationFailed
        }
    }
}
