import Foundation

extension CalendarDate {
    /// Today in Japan, where every record's date is counted (a dose given at 08:00 JST is not "tomorrow").
    public static func today(now: Date = Date()) -> CalendarDate {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Tokyo") ?? TimeZone(secondsFromGMT: 9 * 3600)!
        let parts = calendar.dateComponents([.year, .month, .day], from: now)
        return CalendarDate(unchecked: parts.year!, parts.month!, parts.day!)
    }
}
