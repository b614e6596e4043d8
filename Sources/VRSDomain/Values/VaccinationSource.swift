/// How a vaccination record reached the store.
public enum VaccinationSource: String, Sendable, Hashable, Codable, CaseIterable {
    /// Read from a coupon by a tablet at the vaccination site.
    case tablet
    /// Entered by municipal staff (e.g. from a paper pre-screening form).
    case staff
    /// Loaded in bulk from a file.
    case `import`
    /// Received from the previous municipality after a move (転入者の接種記録照会).
    case transfer
}
