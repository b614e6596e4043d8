import Foundation
import HTTPTypes
import Hummingbird
import VRSDomain
import VRSStore

/// 予防接種台帳向け出力: the ledger and the pending list as CSV, streamed from the API as it writes them.
struct ConsoleExports: Sendable {
    let console: Console

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("exports") { request, context in
            try await console.page(request, context, roles: ConsolePersons.municipal) { visitor in
                console.render("exports", ["title": "予防接種台帳向け出力", "section": "/console/exports"], visitor: visitor)
            }
        }
        group.get("exports/ledger.csv") { request, context in
            try await console.page(request, context, roles: ConsolePersons.municipal) { visitor in
                var items = [URLQueryItem(name: "charset", value: Self.charset(request))]
                if request.uri.queryParameters["layout"] == "doses" { items.append(URLQueryItem(name: "layout", value: "doses")) }
                if let since = request.uri.queryParameters["since"].map(String.init), !since.isEmpty {
                    items.append(URLQueryItem(name: "since", value: since.count == 10 ? "\(since)T00:00:00+09:00" : since))
                }
                var query = URLComponents()
                query.queryItems = items
                let response = try await console.api.send(.get, "/v1/exports/ledger?\(query.percentEncodedQuery ?? "")", token: visitor.token, context: context)
                guard (200..<300).contains(response.status.code) else {
                    return console.render("exports", ["title": "予防接種台帳向け出力", "section": "/console/exports",
                                                      "summary": "出力できませんでした。指定した条件を確認してください。"], visitor: visitor, status: response.status)
                }
                return response
            }
        }
        group.get("exports/pending.csv") { request, context in
            try await console.page(request, context, roles: ConsolePersons.municipal) { visitor in
                try await console.api.send(.get, "/v1/exports/pending?charset=\(Self.charset(request))", token: visitor.token, context: context)
            }
        }
    }

    private static func charset(_ request: Request) -> String {
        request.uri.queryParameters["charset"] == "shift_jis" ? "shift_jis" : "utf-8"
    }
}
