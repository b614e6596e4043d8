import Foundation
import Logging
import PostgresNIO
import VRSDomain

/// A further admin or a password reset, asked by one operator and carried out when another approves.
public struct AccountRequest: Sendable, Equatable {
    /// What is asked.
    public enum Kind: String, Sendable, Codable { case createAdmin = "create_admin", resetPassword = "reset_password" }

    public let id: UUID
    public let kind: Kind
    public let municipality: MunicipalityCode
    public let userID: String
    public let requestedBy: String
    public let requestedAt: Date
    public let expiresAt: Date
    public let status: String
    public let decidedBy: String?
}

/// What an approval did.
public struct ApprovedAccountRequest: Sendable, Equatable {
    public let kind: AccountRequest.Kind
    public let userID: String
    public let municipality: MunicipalityCode
    public let role: AccountRole
}

/// The operators' doors to municipal accounts (migration 0008). Each door identifies the operator
/// by the session token hash and writes the action into the central and the municipality's chain.
public struct AccountRequestRepository: Sendable {
    let logger: Logger

    /// A repository logging to `logger`.
    public init(logger: Logger) { self.logger = logger }

    /// Where the door writes its audit events: the request id and client address of the call.
    public struct Trace: Sendable {
        public let session: Data
        public let requestID: String?
        public let clientAddress: String?

        /// The operator's session token hash and the call's ids.
        public init(session: Data, requestID: String?, clientAddress: String?) {
            self.session = session
            self.requestID = requestID
            self.clientAddress = clientAddress
        }
    }

    /// Creates the first admin of a municipality that has none; `.refused(.municipalityHasAdmin)` otherwise.
    public func createFirstAdmin(_ userID: String, displayName: String, passwordHash: String, in municipality: MunicipalityCode,
                                 trace: Trace, on connection: PostgresConnection) async throws {
        try await run(
            """
            SELECT vrs.create_first_admin(\(trace.session), \(userID), \(municipality), \(displayName), \(passwordHash),
                                          \(trace.requestID), \(trace.clientAddress))
            """, municipality: municipality, on: connection)
    }

    /// Creates a statistics viewer of one prefecture (two digits) or, with nil, of the nation.
    public func createViewer(_ userID: String, displayName: String, prefecture: String?, passwordHash: String,
                             trace: Trace, on connection: PostgresConnection) async throws {
        try await run(
            """
            SELECT vrs.create_viewer(\(trace.session), \(userID), \(displayName), \(prefecture)::char(2), \(passwordHash),
                                     \(trace.requestID), \(trace.clientAddress))
            """, municipality: nil, on: connection)
    }

    /// Files a request; the municipality of a reset is the account's own (`municipality` may be nil then).
    public func request(_ kind: AccountRequest.Kind, userID: String, displayName: String?, in municipality: MunicipalityCode?,
                        trace: Trace, on connection: PostgresConnection) async throws -> UUID {
        var id: UUID?
        try await run(
            """
            SELECT vrs.request_account(\(trace.session), \(kind.rawValue), \(municipality), \(userID), \(displayName),
                                       \(trace.requestID), \(trace.clientAddress))
            """, municipality: municipality, on: connection) { rows in
            for try await value in rows.decode(UUID.self) { id = value }
        }
        guard let id else { throw StoreError.refused(.noSuchAccount) }
        return id
    }

    /// Approves another operator's request, setting `passwordHash` on the new or reset account.
    public func approve(_ request: UUID, passwordHash: String, trace: Trace, on connection: PostgresConnection) async throws -> ApprovedAccountRequest {
        var result: ApprovedAccountRequest?
        try await run(
            """
            SELECT kind, user_id, municipality_code::text, role
            FROM vrs.approve_account_request(\(trace.session), \(request), \(passwordHash), \(trace.requestID), \(trace.clientAddress))
            """, municipality: nil, on: connection) { rows in
            for try await (kind, user, code, role) in rows.decode((String, String, String, String).self) {
                result = ApprovedAccountRequest(
                    kind: AccountRequest.Kind(rawValue: kind) ?? .resetPassword, userID: user,
                    municipality: try MunicipalityCode(code), role: AccountRole(rawValue: role) ?? .staff)
            }
        }
        guard let result else { throw StoreError.refused(.noSuchAccount) }
        return result
    }

    /// Locks or unlocks a municipal account (a lock ends its sessions); returns its municipality.
    public func setLocked(_ userID: String, _ locked: Bool, trace: Trace, on connection: PostgresConnection) async throws -> MunicipalityCode? {
        var municipality: MunicipalityCode?
        try await run(
            "SELECT vrs.operator_set_locked(\(trace.session), \(userID), \(locked), \(trace.requestID), \(trace.clientAddress))::text",
            municipality: nil, on: connection) { rows in
            for try await code in rows.decode(String?.self) { municipality = try code.map { try MunicipalityCode($0) } }
        }
        return municipality
    }

    /// Requests still waiting for a second operator, oldest first.
    public func pending(on connection: PostgresConnection) async throws -> [AccountRequest] {
        let rows = try await connection.query(
            """
            SELECT request_id, kind, municipality_code::text, user_id, requested_by, requested_at, expires_at, status, decided_by
            FROM vrs.account_request WHERE status = 'pending' AND expires_at > now() ORDER BY requested_at
            """,
            logger: logger)
        var requests: [AccountRequest] = []
        for try await (id, kind, code, user, by, at, expires, status, decided) in rows.decode(
            (UUID, String, String, String, String, Date, Date, String, String?).self) {
            requests.append(AccountRequest(
                id: id, kind: AccountRequest.Kind(rawValue: kind) ?? .resetPassword, municipality: try MunicipalityCode(code),
                userID: user, requestedBy: by, requestedAt: at, expiresAt: expires, status: status, decidedBy: decided))
        }
        return requests
    }

    private func run(_ query: PostgresQuery, municipality: MunicipalityCode?, on connection: PostgresConnection,
                     _ read: (PostgresRowSequence) async throws -> Void = { rows in for try await _ in rows {} }) async throws {
        do {
            try await read(try await connection.query(query, logger: logger))
        } catch let error as PSQLError where error.sqlState == "VRS01" {
            throw municipality.map { StoreError.municipalityNotProvisioned($0) } ?? error
        } catch {
            throw translated(error)
        }
    }
}
