import Foundation

/// A bar chart of daily doses by dose number, drawn as SVG on the server (no script, readable
/// without one, printable): one stacked bar a day, a colour per dose number, a y axis with round
/// ticks, a legend, and a title for screen readers.
struct DoseChart: Sendable {
    /// The doses of one day, by dose number.
    struct Day: Sendable, Equatable {
        let date: String
        var doses: [Int: Int]
        var total: Int { doses.values.reduce(0, +) }
    }

    let days: [Day]
    let title: String

    static let width = 760.0, height = 300.0
    static let left = 56.0, right = 12.0, top = 16.0, bottom = 64.0
    /// Colour-blind-safe (Okabe–Ito), dose 1 first.
    static let colours = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000", "#999999"]

    /// The days from the first to the last of `days`, those without doses included (a time axis,
    /// not a list of busy days); past `limit` days, just the busy ones.
    static func everyDay(_ days: [Day], limit: Int = 400) -> [Day] {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let format = Date.ISO8601FormatStyle(timeZone: calendar.timeZone).year().month().day()
        guard let first = days.first.flatMap({ try? Date($0.date, strategy: format) }),
              let last = days.last.flatMap({ try? Date($0.date, strategy: format) }),
              let span = calendar.dateComponents([.day], from: first, to: last).day, span < limit else { return days }
        let known = Dictionary(days.map { ($0.date, $0) }, uniquingKeysWith: { a, _ in a })
        return (0...span).compactMap { offset in
            calendar.date(byAdding: .day, value: offset, to: first).map { date in
                let text = date.formatted(format)
                return known[text] ?? Day(date: text, doses: [:])
            }
        }
    }

    /// The dose numbers present, in order.
    var doseNumbers: [Int] { Array(Set(days.flatMap(\.doses.keys))).sorted() }

    /// A round axis maximum at or above `value` (1, 2 or 5 times a power of ten).
    static func niceCeiling(_ value: Int) -> Int {
        guard value > 0 else { return 1 }
        var step = 1
        while true {
            for factor in [1, 2, 5] where factor * step >= value { return factor * step }
            step *= 10
        }
    }

    /// The chart as an `<svg>` element.
    func svg() -> String {
        let plotWidth = Self.width - Self.left - Self.right, plotHeight = Self.height - Self.top - Self.bottom
        let maximum = Self.niceCeiling(days.map(\.total).max() ?? 0)
        let slot = plotWidth / Double(max(days.count, 1))
        let barWidth = min(max(1, slot * 0.8), 48)
        func y(_ value: Int) -> Double { Self.top + plotHeight - plotHeight * Double(value) / Double(maximum) }
        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 \(Int(Self.width)) \(Int(Self.height))" \
        width="\(Int(Self.width))" height="\(Int(Self.height))" role="img" aria-labelledby="chart-title">
        <title id="chart-title">\(Self.escape(title))</title>
        """
        for tick in maximum % 2 == 0 ? [0, maximum / 2, maximum] : [0, maximum] {
            let at = Self.format(y(tick))
            out += "<line x1=\"\(Int(Self.left))\" x2=\"\(Int(Self.width - Self.right))\" y1=\"\(at)\" y2=\"\(at)\" stroke=\"#ccc\"/>"
            out += "<text x=\"\(Int(Self.left) - 6)\" y=\"\(at)\" text-anchor=\"end\" dominant-baseline=\"middle\" font-size=\"12\">\(tick)</text>"
        }
        let labelEvery = max(1, Int((Double(days.count) / 8).rounded(.up)))
        for (index, day) in days.enumerated() {
            let x = Self.left + slot * Double(index) + (slot - barWidth) / 2
            var base = 0
            for dose in doseNumbers {
                guard let count = day.doses[dose], count > 0 else { continue }
                let top = y(base + count), height = y(base) - top
                out += "<rect class=\"dose-\(dose)\" x=\"\(Self.format(x))\" y=\"\(Self.format(top))\" width=\"\(Self.format(barWidth))\" "
                    + "height=\"\(Self.format(height))\" fill=\"\(Self.colours[(dose - 1) % Self.colours.count])\">"
                    + "<title>\(day.date) \(dose)回目 \(count)</title></rect>"
                base += count
            }
            if index % labelEvery == 0 || index == days.count - 1 {
                out += "<text x=\"\(Self.format(x + barWidth / 2))\" y=\"\(Int(Self.height - Self.bottom) + 16)\" text-anchor=\"middle\" "
                    + "font-size=\"11\">\(day.date.dropFirst(5))</text>"
            }
        }
        var legendX = Self.left
        for dose in doseNumbers {
            out += "<rect x=\"\(Self.format(legendX))\" y=\"\(Int(Self.height) - 22)\" width=\"12\" height=\"12\" "
                + "fill=\"\(Self.colours[(dose - 1) % Self.colours.count])\"/>"
            out += "<text x=\"\(Self.format(legendX + 16))\" y=\"\(Int(Self.height) - 12)\" font-size=\"12\">\(dose)回目</text>"
            legendX += 72
        }
        return out + "</svg>"
    }

    private static func format(_ value: Double) -> String { String(format: "%.1f", value) }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
