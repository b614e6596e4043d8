import Foundation
import Hummingbird
import VRSDomain

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

    /// `?name=` as an RFC 3339 time, or a date meaning midnight in Japan; 422 for anything else.
    func instant(_ name: String) throws -> Date? {
        guard let text = try singleQueryValue(name) else { return nil }
        if let date = try? Date(text, strategy: .iso8601) { return date }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
        if let day = try? CalendarDate(text),
           let date = Calendar.japan.date(from: DateComponents(year: day.year, month: day.month, day: day.day)) {
            return date
        }
        throw AppError.invalid([.init(field: name, code: "malformed", message: "a time such as 2026-12-01T09:00:00+09:00, or a date")])
    }
}

extension Calendar {
    /// The Gregorian calendar in Japan time: the days and times municipal files and staff mean.
    static let japan: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Tokyo")!
        return calendar
    }()
}
