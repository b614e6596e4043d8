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
    /// A door refused: the SQLSTATE (VRS2x, see the migrations) and the server's message.
    case refused(AccountRefusal)
    /// An Idempotency-Key came back with a different file than the first time.
    case keyReused
    /// A dose door refused the input (VRS30–VRS36): the server's message names what, never personal data.
    case doseRefused(DoseRefusal, message: String, hint: String?)
    /// A correction door refused (VRS40–VRS46, migration 0012); `hint` names the field where one is meant.
    case correctionRefused(CorrectionRefusal, message: String, hint: String?)
    /// A correction named a version the record has moved past (VRS40); `current` is the record's version now.
    case staleVersion(current: Int?, message: String)
    /// A transfer door refused (VRS50–VRS57, migration 0013): `hint` names the field, `detail` the
    /// seconds to wait (VRS51) or the batch line (VRS50, VRS53–VRS55).
    case transferRefused(TransferRefusal, message: String, hint: String?, detail: String?)
}

/// Why a transfer door of migration 0013 refused, by SQLSTATE.
public enum TransferRefusal: String, Sendable, Equatable {
    /// VRS50: the previous municipality is malformed, the caller's own, not provisioned or suspended.
    case route = "VRS50"
    /// VRS51: too many single inquiries by this user in the current minute.
    case rateLimited = "VRS51"
    /// VRS52: the not-found guard has locked this user's inquiries.
    case locked = "VRS52"
    /// VRS53: the purpose is unknown or not allowed between the two municipalities.
    case purpose = "VRS53"
    /// VRS54: the person is not a current registration of the caller's municipality.
    case person = "VRS54"
    /// VRS55: a batch is empty, too large, or its lines disagree.
    case batch = "VRS55"
    /// VRS56: the batch is not leased by this worker (any more).
    case lease = "VRS56"
    /// VRS57: the batch line is answered already.
    case lineAnswered = "VRS57"
}

/// Why a correction of migration 0012 was refused, by SQLSTATE.
public enum CorrectionRefusal: String, Sendable, Equatable {
    /// VRS40: the version named is not the record's current one (the record changed since it was read).
    case stale = "VRS40"
    /// VRS41: no such record in the caller's municipality.
    case notFound = "VRS41"
    /// VRS42: voided, handed over or merged: no longer correctable.
    case notCorrectable = "VRS42"
    /// VRS43: no reason, a reason too long, or nothing to amend.
    case reason = "VRS43"
    /// VRS44: the target coupon, person or municipality does not exist or cannot take the record.
    case target = "VRS44"
    /// VRS45: the target is where the record is already.
    case samePlace = "VRS45"
    /// VRS46: the target holds this dose of that coupon already.
    case targetHoldsDose = "VRS46"
}

/// Why a dose door of migration 0009 refused, by SQLSTATE.
public enum DoseRefusal: String, Sendable, Equatable {
    case unknownProduct = "VRS30"
    case dateOutOfRange = "VRS31"
    case municipalityNotProvisioned = "VRS32"
    case malformedCode = "VRS33"
    case textTooLong = "VRS34"
    case deviceNotValid = "VRS35"
    case otherMunicipality = "VRS36"
}

/// Why an account door refused, by SQLSTATE of migrations 0007 and 0008.
public enum AccountRefusal: String, Sendable, Equatable {
    /// VRS21: locked, or the hash or TOTP step no longer what the server checked.
    case signInRefused = "VRS21"
    /// VRS22: the token is not a live session (of an operator, for the operator doors).
    case noLiveSession = "VRS22"
    /// VRS23: the municipality already has an admin; a further one needs an account request.
    case municipalityHasAdmin = "VRS23"
    /// VRS25: no such municipal account, or no such account request.
    case noSuchAccount = "VRS25"
    /// VRS26: the account request was approved already, or expired.
    case requestClosed = "VRS26"
    /// VRS27: the operator who asked cannot approve.
    case fourEyes = "VRS27"
    /// VRS70: a statistics question outside the caller's scope (another prefecture or municipality).
    case outsideScope = "VRS70"
    /// VRS71: no prefecture has that code.
    case noSuchPrefecture = "VRS71"
}

extension PSQLError {
    /// The SQLSTATE the server sent, if any.
    var sqlState: String? { serverInfo?[.sqlState] }
}

/// Turns the server's answer into a `StoreError` where it has one.
func translated(_ error: any Error) -> any Error {
    guard let psql = error as? PSQLError, let state = psql.sqlState else { return error }
    if state == "23505" { return StoreError.duplicate(constraint: psql.serverInfo?[.constraintName] ?? "") }
    if let refusal = AccountRefusal(rawValue: state) { return StoreError.refused(refusal) }
    if state == CorrectionRefusal.stale.rawValue {
        let message = (psql.serverInfo?[.message] ?? state) + (psql.serverInfo?[.hint].map { ". \($0)" } ?? "")
        return StoreError.staleVersion(current: psql.serverInfo?[.detail].flatMap { Int($0) }, message: message)
    }
    if let refusal = CorrectionRefusal(rawValue: state) {
        return StoreError.correctionRefused(refusal, message: psql.serverInfo?[.message] ?? refusal.rawValue, hint: psql.serverInfo?[.hint])
    }
    if let refusal = TransferRefusal(rawValue: state) {
        return StoreError.transferRefused(refusal, message: psql.serverInfo?[.message] ?? refusal.rawValue,
                                          hint: psql.serverInfo?[.hint], detail: psql.serverInfo?[.detail])
    }
    if let refusal = DoseRefusal(rawValue: state) {
        return StoreError.doseRefused(refusal, message: psql.serverInfo?[.message] ?? refusal.rawValue, hint: psql.serverInfo?[.hint])
    }
    return error
}
