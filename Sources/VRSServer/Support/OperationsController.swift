import Foundation
import Hummingbird
import Logging
import Metrics
import PostgresNIO
import Prometheus
import VRSDomain
import VRSStore

/// `/metrics` (Prometheus text) and `/openapi.yaml` (the contract), on the LG-WAN listener.
struct OperationsController: Sendable {
    /// The process-wide registry; swift-metrics can be bootstrapped once per process.
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    /// The hand-written contract shipped with the server.
    static let contract: ByteBuffer? = Bundle.module.url(forResource: "openapi", withExtension: "yaml")
        .flatMap { try? Data(contentsOf: $0) }.map { ByteBuffer(bytes: $0) }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: Self.registry.emitToBuffer())))
        }
        router.get("openapi.yaml") { _, _ in
            guard let contract = Self.contract else { throw AppError.notFound("the contract is not bundled with this build") }
            return Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: contract))
        }
    }
}
