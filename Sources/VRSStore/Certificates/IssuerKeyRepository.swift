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
        public let kid: String
        /// False when an active key existed and `rotate` was not asked: nothing changed.
        public let created: Bool
        /// The key `rotate` retired, if any.
        public let retired: String?
    }

    /// Creates the SMART Health Card key when there is none; with `rotate`, retires the active one
    /// and creates its successor, in one transaction.
    public func initialise(master: MasterKey, rotate: Bool) async throws -> Outcome {
        try await admin.ownerTransaction(logger: logger) { connection in
            let rows = try await connection.query(
                "SELECT kid FROM vrs.issuer_key WHERE format = 'shc' AND retired_at IS NULL FOR UPDATE", logger: logger)
            var active: String?
            for try await kid in rows.decode(String.self) { active = kid }
            if let active, !rotate { return Outcome(kid: active, created: false, retired: nil) }
            if let active {
                try await connection.query("UPDATE vrs.issuer_key SET retired_at = now() WHERE kid = \(active)", logger: logger)
            }
            let key = IssuerSigningKey.generate()
            let jwk = String(decoding: try JSONSerialization.data(withJSONObject: key.publicJWK, options: [.sortedKeys]), as: UTF8.self)
            try await connection.query(
                """
                INSERT INTO vrs.issuer_key (kid, format, public_jwk, sealed_key, master_key_id)
                VALUES (\(key.kid), 'shc', \(jwk)::jsonb, \(key.sealed(under: master)), \(master.id))
                """,
                logger: logger)
            return Outcome(kid: key.kid, created: true, retired: active)
        }
    }
}
