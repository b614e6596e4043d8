import Hummingbird

extension Request {
    /// The one value of a query parameter, nil when absent; 400 when it is given twice (which
    /// value would count is a guess no server should make).
    func singleQueryValue(_ name: String) throws -> String? {
        let values = uri.queryParameters.getAll(name)
        guard values.count <= 1 else { throw AppError.badRequest("give \(name) at most once", field: name) }
        return values.first.map { String($0) }
    }

    /// `?limit=` 1–1000, default 100.
    func pageLimit() throws -> Int {
        guard let text = try singleQueryValue("limit") else { return 100 }
        guard let limit = Int(text), (1...1000).contains(limit) else {
            throw AppError.invalid([.init(field: "limit", code: "out_of_range", message: "must be a whole number from 1 to 1000")])
        }
        return limit
    }
}
