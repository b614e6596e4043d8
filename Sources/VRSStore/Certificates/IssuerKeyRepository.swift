import Foundation
import Logging
import PostgresNIO
import VRSCrypto

/// Why no certificate can be signed.
public enum IssuerKeyError: Error, Equatable {
    /// VRS60: no active issuer key; the host runs `vrs keys init-issuer`.
    case noActiveKey
}

/// One issuer key as published: its JWK (public members only) and whether it still signs.
public struct IssuerPublicKey: Sendable, Equatable {
    public let kid: String
    public let format: String
    /// The JWK object, as stored (`kty`, `crv`, `x`, `y`, `kid`, `use`, `alg`).
    public let jwk: String
    public let retired: Bool
}

/// The certificate issuer's keys (migration 0014): public JWKs for anyone, the active key for the
/// staff who issue, creation and rotation for the host.
public struct IssuerKeyRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    /// Keys read through the application's pool.
    public init(database: Database) {
        client = database.client
        logger = database.logger
    }

    /// Every key's public JWK, active first, as the login role itself (`vrs.issuer_public_keys`).
    public func publicKeys() async throws -> [IssuerPublicKey] {
        let rows = try await client.query(
            "SELECT kid, format, public_jwk::text, retired_at IS NOT NULL FROM vrs.issuer_public_keys()", logger: logger)
        var keys: [IssuerPublicKey] = []
        for try await (kid, format, jwk, retired) in rows.decode((String, String, String, Bool).self) {
            keys.append(IssuerPublicKey(kid: kid, format: format, jwk: jwk, retired: retired))
        }
        return keys
    }

    /// The active VDS-NC barcode signer with its certificate, in the caller's (municipal) transaction.
    public func sealSigner(on connection: PostgresConnection, master: MasterKey) async throws -> SealSigner {
        do {
            let rows = try await connection.query("SELECT kid, sealed_key, certificate FROM vrs.issuer_signing_key('vds-nc-signer')", logger: logger)
            for try await (kid, sealed, certificate) in rows.decode((String, Data, Data).self) {
                return SealSigner(key: try IssuerSigningKey(sealed: sealed, kid: kid, master: master), certificate: Array(certificate))
            }
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "VRS60" {
            throw IssuerKeyError.noActiveKey
        }
        throw IssuerKeyError.noActiveKey
    }

    /// The active SMART Health Card key, opened with `master`, in the caller's (municipal) transaction.
    public func signingKey(on connection: PostgresConnection, master: MasterKey) async throws -> IssuerSigningKey {
        do {
            let rows = try await connection.query("SELECT kid, sealed_key FROM vrs.issuer_signing_key('shc')", logger: logger)
            for try await (kid, sealed) in rows.decode((String, Data).self) {
                return try IssuerSigningKey(sealed: sealed, kid: kid, master: master)
            }
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "VRS60" {
            throw IssuerKeyError.noActiveKey
        }
        throw IssuerKeyError.noActiveKey
    }
}

/// The host's side of the issuer keys: `vrs keys init-issuer`.
public struct IssuerKeyAdministration: Sendable {
    let admin: PostgresClient
    let logger: Logger

    /// Works over an administrative pool (owner transactions).
    public init(admin: PostgresClient, logger: Logger) {
        self.admin = admin
        self.logger = logger
    }

    /// What `initialise` did.
    public struct Outcome: Sendable, Equatable {
        /// The active SMART Health Card key.
        public let kid: String
        /// False when an active key existed and `rotate` was not asked: nothing changed.
        public let created: Bool
        /// The SMART Health Card key `rotate` retired, if any.
        public let retired: String?
        /// The active VDS-NC barcode signer, and whether this call issued it.
        public let signerKid: String
        public let signerCreated: Bool
    }

    /// Creates what is missing: the SMART Health Card key, the VDS-NC CSCA and a barcode signer it
    /// issues. With `rotate`, retires the active card key and signer and makes successors (the CSCA
    /// stays: replacing a country signing CA is a ceremony of its own). One transaction.
    public func initialise(master: MasterKey, rotate: Bool) async throws -> Outcome {
        try await admin.ownerTransaction(logger: logger) { connection in
            let rows = try await connection.query(
                "SELECT format, kid, sealed_key, certificate FROM vrs.issuer_key WHERE retired_at IS NULL FOR UPDATE", logger: logger)
            var active: [String: (kid: String, sealed: Data, certificate: Data?)] = [:]
            for try await (format, kid, sealed, certificate) in rows.decode((String, String, Data, Data?).self) {
                active[format] = (kid, sealed, certificate)
            }
            func replace(_ format: String, with key: IssuerSigningKey, certificate: [UInt8]?) async throws {
                if let old = active[format] {
                    try await connection.query("UPDATE vrs.issuer_key SET retired_at = now() WHERE kid = \(old.kid)", logger: logger)
                }
                let jwk = String(decoding: try JSONSerialization.data(withJSONObject: key.publicJWK, options: [.sortedKeys]), as: UTF8.self)
                try await connection.query(
                    """
                    INSERT INTO vrs.issuer_key (kid, format, public_jwk, sealed_key, master_key_id, certificate)
                    VALUES (\(key.kid), \(format), \(jwk)::jsonb, \(key.sealed(under: master)), \(master.id), \(certificate.map { Data($0) }))
                    """,
                    logger: logger)
            }
            var card = active["shc"]?.kid
            let cardCreated = card == nil || rotate
            if cardCreated {
                let key = IssuerSigningKey.generate()
                try await replace("shc", with: key, certificate: nil)
                card = key.kid
            }
            let csca: (key: IssuerSigningKey, certificate: [UInt8])
            if let existing = active["vds-nc-csca"], let certificate = existing.certificate {
                csca = (try IssuerSigningKey(sealed: existing.sealed, kid: existing.kid, master: master), Array(certificate))
            } else {
                csca = try SealPKI.countrySigningCA()
                try await replace("vds-nc-csca", with: csca.key, certificate: csca.certificate)
            }
            var signer = active["vds-nc-signer"]?.kid
            let signerCreated = signer == nil || rotate || active["vds-nc-csca"] == nil
            if signerCreated {
                let issued = try SealPKI.barcodeSigner(issuedBy: csca.key, cscaCertificate: csca.certificate)
                try await replace("vds-nc-signer", with: issued.key, certificate: issued.certificate)
                signer = issued.key.kid
            }
            return Outcome(kid: card!, created: cardCreated, retired: cardCreated ? active["shc"]?.kid : nil,
                           signerKid: signer!, signerCreated: signerCreated)
        }
    }
}
