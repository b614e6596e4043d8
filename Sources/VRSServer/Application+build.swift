import Hummingbird
import Logging
import VRSStore

/// The request context of both listeners.
public typealias AppRequestContext = BasicRequestContext

/// The two HTTP applications of one vrs process, sharing one database pool.
public struct VRSApplications: Sendable {
    /// Municipal and operator APIs.
    public let lgwan: Application<RouterResponder<AppRequestContext>>
    /// The tablet API.
    public let `public`: Application<RouterResponder<AppRequestContext>>
}

/// Assembles both listeners: routes, middleware and their configuration. The caller runs the
/// database pool and the applications (see `vrs serve`); tests call the same function.
public func buildApplications(
    configuration: ServerConfiguration,
    database: Database,
    logger: Logger,
    onListening: (@Sendable (String, String) -> Void)? = nil
) -> VRSApplications {
    let health = HealthController(database: database)

    let lgwanRouter = Router(context: AppRequestContext.self)
    health.addRoutes(to: lgwanRouter)

    let publicRouter = Router(context: AppRequestContext.self)
    health.addRoutes(to: publicRouter)

    func application(_ router: Router<AppRequestContext>, name: String, host: String, port: Int) -> Application<RouterResponder<AppRequestContext>> {
        Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "vrs"),
            onServerRunning: { channel in
                let address = channel.localAddress
                onListening?(name, "\(address?.ipAddress ?? host):\(address?.port ?? port)")
            },
            logger: logger
        )
    }
    return VRSApplications(
        lgwan: application(lgwanRouter, name: "lgwan", host: configuration.lgwanHost, port: configuration.lgwanPort),
        public: application(publicRouter, name: "public", host: configuration.publicHost, port: configuration.publicPort)
    )
}
