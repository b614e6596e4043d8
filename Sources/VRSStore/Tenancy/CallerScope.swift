import VRSDomain

/// Who a database transaction acts for: decides the database role and the bound municipality.
///
/// The role and the municipality are the second lock behind the HTTP middleware: a handler that
/// forgot a check still runs under row-level security for exactly this caller.
public enum CallerScope: Sendable, Equatable {
    /// Municipal staff of one municipality.
    case municipal(MunicipalityCode)
    /// A municipality's admin: all that staff may, plus its own staff, sessions and tablets.
    case municipalAdmin(MunicipalityCode)
    /// A tablet bound to the municipality that issued its token.
    case device(MunicipalityCode)
    /// Central operators: no municipality, no personal data.
    case `operator`
    /// Log-in and token checks, before the caller is known: accounts, sessions and device tokens only.
    case authentication
    /// The service's background work: claims and purges transfer batches, nothing else.
    case worker
    /// A prefectural or national viewer: the statistics door, nothing else.
    case viewer

    /// The database role the transaction switches to.
    public var role: String {
        switch self {
        case .municipal: "vrs_municipal"
        case .municipalAdmin: "vrs_municipal_admin"
        case .device: "vrs_device"
        case .operator: "vrs_operator"
        case .authentication: "vrs_auth"
        case .worker: "vrs_worker"
        case .viewer: "vrs_viewer"
        }
    }

    /// The municipality bound for row-level security, if any.
    public var municipality: MunicipalityCode? {
        switch self {
        case .municipal(let code), .municipalAdmin(let code), .device(let code): code
        case .operator, .authentication, .worker, .viewer: nil
        }
    }
}
