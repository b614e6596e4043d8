import Foundation
import Hummingbird
import Logging
import Metrics
import PostgresNIO
import Prometheus
import VRSDomain
import VRSStore

/// `/openapi.yaml` on each listener, serving the contract of that listener's own routes, and
/// `/metrics` (Prometheus text) on the LG-WAN listener.
struct OperationsController: Sendable {
    /// The listener the routes are added to: it decides which document `/openapi.yaml` serves and
    /// whether `/metrics` is there.
    enum Listener: Sendable {
        /// `openapi.yaml` and `/metrics`.
        case lgwan
        /// `openapi-public.yaml`; no metrics (architecture.md §3).
        case `public`

        /// The hand-written contract of this listener's routes, as bundled with the server.
        var contract: ByteBuffer? {
            switch self {
            case .lgwan: OperationsController.lgwanContract
            case .public: OperationsController.publicContract
            }
        }
    }

    /// The process-wide registry; swift-metrics can be bootstrapped once per process.
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    /// The LG-WAN listener's contract (`openapi.yaml`), read once.
    static let lgwanContract = bundled("openapi")
    /// The public listener's contract (`openapi-public.yaml`), read once.
    static let publicContract = bundled("openapi-public")

    private static func bundled(_ name: String) -> ByteBuffer? {
        Bundle.module.url(forResource: name, withExtension: "yaml").flatMap { try? Data(contentsOf: $0) }.map { ByteBuffer(bytes: $0) }
    }

    let listener: Listener

    func addRoutes(to router: Router<AppRequestContext>) {
        if listener == .lgwan {
            router.get("metrics") { _, _ in
                Response(
                    status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(bytes: Self.registry.emitToBuffer())))
            }
        }
        let contract = listener.contract
        router.get("openapi.yaml") { _, _ in
            guard let contract else { throw AppError.notFound("the contract is not bundled with this build") }
            return Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: contract))
        }
    }
}
