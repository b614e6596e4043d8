import Dispatch
import Hummingbird
import Logging

/// Logs, as a warning, every request whose answer's head took longer than `threshold` to be
/// ready (a streamed body, such as the ledger, is not counted), with its route template (never
/// the path: a path can hold an identifier), method, status and time.
///
/// The Prometheus histogram says *that* a route is slow; this line says *when*, so that a stall
/// can be laid beside the database's own log and the batch worker's.
struct SlowRequestMiddleware<Context: RequestContext>: RouterMiddleware {
    let threshold: Duration

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            report(request, context, status: response.status.code, since: start)
            return response
        } catch {
            report(request, context, status: (error as? any HTTPResponseError)?.status.code ?? 500, since: start)
            throw error
        }
    }

    private func report(_ request: Request, _ context: Context, status: Int, since start: ContinuousClock.Instant) {
        let elapsed = start.duration(to: .now)
        guard elapsed > threshold else { return }
        let (seconds, attoseconds) = elapsed.components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        context.logger.warning("slow request", metadata: [
            "http.route": .string(context.endpointPath ?? "unmatched"),
            "http.method": .string(request.method.rawValue),
            "http.status": .stringConvertible(status),
            "duration_ms": .stringConvertible(milliseconds),
        ])
    }
}
