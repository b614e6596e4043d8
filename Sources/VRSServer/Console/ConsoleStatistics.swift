import Foundation
import HTTPTypes
import Hummingbird
import VRSDomain
import VRSStore

/// 接種統計: daily doses by dose number for the caller's scope, as a server-drawn chart and a
/// table, read from the statistics API like any other client; the same counts as CSV.
struct ConsoleStatistics: Sendable {
    let console: Console

    static let readers: Set<AccountRole> = [.operator, .viewer, .admin, .staff]

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("statistics") { request, context in
            try await console.page(request, context, roles: Self.readers) { visitor in try await page(request, visitor, context) }
        }
        group.get("statistics.csv") { request, context in
            try await console.page(request, context, roles: Self.readers) { visitor in
                let response = try await console.api.send(.get, "/v1/statistics/vaccinations?\(Self.query(request, visitor))",
                                                          token: visitor.token, headers: [.accept: "text/csv"], context: context)
                guard (200..<300).contains(response.status.code) else { return try await page(request, visitor, context) }
                var headers = response.headers
                headers[.contentDisposition] = "attachment; filename=\"vaccinations.csv\""
                return Response(status: response.status, headers: headers, body: response.body)
            }
        }
    }

    /// The API query of the page's filters (municipal callers always by municipality).
    static func query(_ request: Request, _ visitor: Visitor) -> String {
        var items: [URLQueryItem] = []
        for name in ["from", "to", "prefecture"] {
            if let value = request.uri.queryParameters[Substring(name)].map(String.init), !value.isEmpty { items.append(URLQueryItem(name: name, value: value)) }
        }
        if visitor.municipalityCode != nil { items.append(URLQueryItem(name: "by", value: "municipality")) }
        var components = URLComponents()
        components.queryItems = items
        return components.percentEncodedQuery ?? ""
    }

    private func page(_ request: Request, _ visitor: Visitor, _ context: AppRequestContext) async throws -> Response {
        var data: [String: Any] = ["title": "接種統計", "section": "/console/statistics",
                                   "from": request.uri.queryParameters["from"].map(String.init) ?? "",
                                   "to": request.uri.queryParameters["to"].map(String.init) ?? "",
                                   "prefecture": request.uri.queryParameters["prefecture"].map(String.init) ?? "",
                                   "choosesPrefecture": visitor.role == .operator || visitor.role == .viewer,
                                   "query": Self.query(request, visitor)]
        let answer = try await console.api.call(.get, "/v1/statistics/vaccinations?\(Self.query(request, visitor))", token: visitor.token, context: context)
        guard answer.isSuccess else {
            data["errors"] = answer.problem.map { problem in
                (problem.errors ?? []).map { ["field": $0.field, "message": ConsoleLabels.message($0)] }
            } ?? []
            data["summary"] = answer.status == .forbidden ? "この範囲の統計は閲覧できません。" : "条件を確認してください。"
            return console.render("statistics", data, visitor: visitor, status: answer.status)
        }
        var days: [String: DoseChart.Day] = [:]
        var suppressed = 0
        for line in String(buffer: answer.body).split(separator: "\n") {
            guard case .object(let cell) = (try? JSONDecoder().decode(JSONValue.self, from: Data(line.utf8))) ?? .null,
                  case .string(let date)? = cell["date"], case .number(let dose)? = cell["status"] else { continue }
            guard case .number(let count)? = cell["count"] else { suppressed += 1; continue }
            days[date, default: DoseChart.Day(date: date, doses: [:])].doses[Int(dose), default: 0] += Int(count)
        }
        let ordered = days.values.sorted { $0.date < $1.date }
        // The API says whose counts these are: the nation, a prefecture (a viewer's own, or the one asked for) or a municipality.
        let scopeHeader = answer.headers[HTTPField.Name("VRS-Scope")!] ?? "nation"
        let asked = (data["prefecture"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        let scope: String
        if scopeHeader.hasPrefix("prefecture=") {
            scope = ConsoleViewers.scopeName(String(scopeHeader.dropFirst("prefecture=".count)))
            data["choosesPrefecture"] = false
        } else if scopeHeader.hasPrefix("municipality=") {
            scope = visitor.municipalityName ?? String(scopeHeader.dropFirst("municipality=".count))
        } else {
            scope = asked.map { ConsoleViewers.scopeName($0) } ?? "全国"
        }
        let chart = DoseChart(days: DoseChart.everyDay(ordered), title: "\(scope)の日別接種回数（接種回数別）")
        let doses = chart.doseNumbers
        data["empty"] = ordered.isEmpty
        data["chart"] = chart.svg()
        data["scope"] = scope
        data["doseHeaders"] = doses.map { ["label": "\($0)回目"] }
        data["rows"] = ordered.reversed().map { day in
            ["date": day.date, "cells": doses.map { ["count": String(day.doses[$0] ?? 0)] }, "total": String(day.total)] as [String: Any]
        }
        data["total"] = String(ordered.map(\.total).reduce(0, +))
        if suppressed > 0 { data["suppressed"] = String(suppressed) }
        return console.render("statistics", data, visitor: visitor)
    }
}
