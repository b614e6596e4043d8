/// Where a person stands in the municipality's ledger; moved-out and deceased people keep their records.
public enum PersonStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// Resident.
    case active
    /// 転出: moved to another municipality.
    case movedOut = "moved_out"
    /// 死亡.
    case deceased
}
