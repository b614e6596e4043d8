extension MunicipalityDirectory {
    /// One row of the official list.
    public struct Entry: Sendable, Hashable, Codable {
        /// The 6-digit code.
        public let code: MunicipalityCode
        /// The prefecture's name (e.g. 千葉県); a prefecture's own row repeats it in `name`.
        public let prefecture: String
        /// The official name (e.g. 千葉市, 札幌市中央区).
        public let name: String
        /// The name in full-width katakana (e.g. チバシ).
        public let nameKana: String
        /// What the body is.
        public let kind: MunicipalityKind

        /// Creates a row.
        public init(code: MunicipalityCode, prefecture: String, name: String, nameKana: String, kind: MunicipalityKind) {
            self.code = code
            self.prefecture = prefecture
            self.name = name
            self.nameKana = nameKana
            self.kind = kind
        }
    }
}
