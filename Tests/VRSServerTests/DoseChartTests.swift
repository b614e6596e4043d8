import Foundation
import Testing
@testable import VRSServer

/// The server-drawn chart: one stacked bar a day, bars as tall as their counts on a round axis,
/// a legend entry per dose number, and a title for screen readers.
@Suite("Dose chart (SVG)")
struct DoseChartTests {
    @Test func roundAxisMaximaAreOneTwoOrFiveTimesAPowerOfTen() {
        #expect([0, 1, 3, 10, 11, 180, 201, 4999].map(DoseChart.niceCeiling) == [1, 1, 5, 10, 20, 200, 500, 5000])
    }

    @Test func barsStackByDoseAndScaleToTheirCounts() throws {
        let chart = DoseChart(days: [.init(date: "2021-04-12", doses: [1: 30, 2: 10]), .init(date: "2021-04-13", doses: [1: 50])],
                              title: "千葉県の日別接種回数")
        let svg = chart.svg()
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\"") && svg.hasSuffix("</svg>"))
        #expect(svg.contains("<title id=\"chart-title\">千葉県の日別接種回数</title>") && svg.contains("role=\"img\""))
        func heights(_ dose: Int) throws -> [Double] {
            let pattern = try Regex("<rect class=\"dose-\(dose)\"[^>]* height=\"([0-9.]+)\"")
            return svg.matches(of: pattern).compactMap { Double(String($0.output[1].substring ?? "")) }
        }
        let plot = DoseChart.height - DoseChart.top - DoseChart.bottom
        // The axis runs to 50 (the busiest day); 30, 10 and 50 doses are 3/5, 1/5 and all of it.
        #expect(try heights(1) == [plot * 0.6, plot].map { ($0 * 10).rounded() / 10 })
        #expect(try heights(2) == [(plot * 0.2 * 10).rounded() / 10])
        #expect(svg.contains(">1回目</text>") && svg.contains(">2回目</text>"), "a legend entry per dose number")
        #expect(svg.contains("<title>2021-04-12 2回目 10</title>"), "each bar names its day, dose and count")
    }

    @Test func aTitleCannotInjectMarkup() {
        #expect(!DoseChart(days: [], title: "<script>x</script>").svg().contains("<script>"))
    }
}
