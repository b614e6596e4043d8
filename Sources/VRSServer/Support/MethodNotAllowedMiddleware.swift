import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// The routes of one router, filled in once every route is added: which methods a path answers.
final class RouteTable: Sendable {
    private let routes = Mutex<[(path: RouterPath, method: HTTPRequest.Method)]>([])

    /// Takes the router's routes (call after the last route is added).
    func load(from router: Router<AppRequestContext>) {
        let loaded = router.routes.map { (path: $0.path, method: $0.method) }
        routes.withLock { $0 = loaded }
    }

    /// The methods of the most specific routes matching `path` (fewest parameters, as the router prefers).
    func methods(for path: String) -> [String] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        let matching = routes.withLock { routes in
            routes.filter { route in
                route.path.components.count == segments.count && zip(route.path.components, segments).allSatisfy { $0 ~= $1 }
            }
        }
        func parameters(_ path: RouterPath) -> Int { zip(path.components, segments).filter { !($0.0 == $0.1) }.count }
        guard let fewest = matching.map({ parameters($0.path) }).min() else { return [] }
        return Set(matching.filter { parameters($0.path) == fewest }.map(\.method.rawValue)).sorted()
    }
}

/// A known path asked with a method it does not answer gets 405 with `Allow` (RFC 9110 §15.5.6),
/// not the router's 404: the client learns what it did wrong.
struct MethodNotAllowedMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let table: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let allowed = table.methods(for: request.uri.path)
            guard !allowed.isEmpty, !allowed.contains(request.method.rawValue) else { throw error }
            throw AppError.methodNotAllowed(allowed: allowed)
        }
    }
}
