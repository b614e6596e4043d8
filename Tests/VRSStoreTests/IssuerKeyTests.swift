import Crypto
import Foundation
import PostgresNIO
import Testing
import VRSCrypto
import VRSDomain
import VRSStore
import VRSTestSupport

/// The certificate issuer's key through the store: created once, rotated with the old key still
/// published, opened by staff for signing, and re-sealed by a master-key rotation.
@Suite("Certificate issuer keys")
struct IssuerKeyTests {
    @Test func initialiseCreatesOnceAndRotationKeepsTheOldKeyPublished() async throws {
        try await withTestStore { store in
            try await store.provision(Town.a)
            let keys = IssuerKeyRepository(database: store.database)
            #expect(try await keys.publicKeys().isEmpty)
            await #expect(throws: IssuerKeyError.noActiveKey) {
                try await store.database.transaction(as: .municipal(Town.a)) { connection in
                    _ = try await keys.signingKey(on: connection, master: store.master)
                }
            }

            let administration = IssuerKeyAdministration(admin: store.admin, logger: store.logger)
            let first = try await administration.initialise(master: store.master, rotate: false)
            #expect(first.created && first.retired == nil)
            let again = try await administration.initialise(master: store.master, rotate: false)
            #expect(again.kid == first.kid && !again.created && again.retired == nil)

            let signer = try await store.database.transaction(as: .municipal(Town.a)) { connection in
                try await keys.signingKey(on: connection, master: store.master)
            }
            #expect(signer.kid == first.kid)
            // The published JWK verifies what the staff-side key signs.
            let published = try #require(try await keys.publicKeys().first { $0.format == "shc" })
            let jwk = try #require(try JSONSerialization.jsonObject(with: Data(published.jwk.utf8)) as? [String: String])
            #expect(jwk["kid"] == first.kid && jwk["d"] == nil && !published.retired)
            let point = Data([0x04]) + Base64URL.decode(jwk["x"]!)! + Base64URL.decode(jwk["y"]!)!
            let verifier = try P256.Signing.PublicKey(x963Representation: point)
            let message = Data("signed by the issuer".utf8)
            #expect(verifier.isValidSignature(try P256.Signing.ECDSASignature(rawRepresentation: try signer.sign(message)), for: message))

            let second = try await administration.initialise(master: store.master, rotate: true)
            #expect(second.created && second.retired == first.kid && second.kid != first.kid)
            let after = try await keys.publicKeys().filter { $0.format == "shc" }
            #expect(after.map(\.kid) == [second.kid, first.kid] && after.map(\.retired) == [false, true])
            let now = try await store.database.transaction(as: .municipal(Town.a)) { connection in
                try await keys.signingKey(on: connection, master: store.master)
            }
            #expect(now.kid == second.kid)
        }
    }

    @Test func masterKeyRotationReSealsTheIssuerKeys() async throws {
        try await withTestStore { store in
            try await store.provision(Town.a)
            let administration = IssuerKeyAdministration(admin: store.admin, logger: store.logger)
            let old = try await administration.initialise(master: store.master, rotate: false)
            let active = try await administration.initialise(master: store.master, rotate: true)
            let next = MasterKey.generate()
            let rotation = KeyRotation(database: store.database, admin: store.admin, keyRing: store.keyRing, logger: store.logger)
            // Town A's two municipality keys and the five issuer keys, retired ones included: two card
            // keys, the VDS-NC CSCA and two barcode signers.
            #expect(try await rotation.rewrapAll(from: store.master, to: next) == 7)
            #expect(try await rotation.rewrapAll(from: store.master, to: next) == 0)

            let keys = IssuerKeyRepository(database: store.database)
            let reopened = try await store.database.transaction(as: .municipal(Town.a)) { connection in
                try await keys.signingKey(on: connection, master: next)
            }
            #expect(reopened.kid == active.kid)
            await #expect(throws: (any Error).self) {
                try await store.database.transaction(as: .municipal(Town.a)) { connection in
                    _ = try await keys.signingKey(on: connection, master: store.master)
                }
            }
            let masters = try await store.admin.query("SELECT kid, master_key_id FROM vrs.issuer_key ORDER BY kid", logger: store.logger)
            var byKid: [String: String] = [:]
            for try await (kid, master) in masters.decode((String, String).self) { byKid[kid] = master }
            #expect(byKid.count == 5 && byKid.values.allSatisfy { $0 == next.id } && byKid[old.kid] != nil && byKid[active.kid] != nil)
        }
    }
}
