import PostgresNIO
import VRSDomain

/// Store failures that carry a meaning for the caller (the HTTP layer maps them to problems).
public enum StoreError: Error, Equatable {
    case municipalityNotProvisioned(MunicipalityCode)
    case missingKey(MunicipalityCode, version: Int)
    /// A unique key was violated; `constraint` names it (e.g. `person_municipality_code_address_number_key`).
    case duplicate(constraint: String)
    case unknownMunicipality(MunicipalityCode)
    case notATenant(MunicipalityCode)
}

extension PSQLError {
    /// The SQLSTATE the server sent, if any.
    var sqlState: String? { serverInfo?[.sqlState] }
}

/// Turns the server's answer into a `StoreError` where it has one.
func translated(_ error: any Error) -> any Error {
    guard let psql = error as? PSQLError, let state = psql.sqlState else { return error }
    if state == "23505" { return StoreError.duplicate(constraint: psql.serverInfo?[.constraintName] ?? "") }
    return error
}
