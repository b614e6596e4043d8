/// Sex as the resident register and VRS statistics record it.
public enum Sex: String, Sendable, Hashable, Codable, CaseIterable {
    /// Male.
    case male = "M"
    /// Female.
    case female = "F"
    /// Unknown or not given; VRS open data uses "U" too.
    case unknown = "U"
}
