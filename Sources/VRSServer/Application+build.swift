import Foundation
import Hummingbird
import Logging
import PostgresNIO
import VRSCrypto
import VRSDomain
import VRSStore

/// The two HTTP applications of one vrs process, sharing one database pool.
public struct VRSApplications: Sendable {
    /// Municipal and operator APIs.
    public let lgwan: Application<LGWANResponder>
    /// The tablet API.
    public let `public`: Application<RouterResponder<AppRequestContext>>
    /// Keeps the token cache in step with revocations in every process; run it with the listeners.
    public let revocations: RevocationListener
    /// Answers transfer batches in the background; run it with the listeners.
    public let transfers: TransferBatchWorker
}

/// Assembles both listeners: routes, middleware and their configuration. The caller runs the
/// database pool and the applications (see `vrs serve`); tests call the same function.
public func buildApplications(
    configuration: ServerConfiguration,
    database: Database,
    master: MasterKey,
    logger: Logger,
    onListening: (@Sendable (String, String) -> Void)? = nil
) -> VRSApplications {
    _ = OperationsController.registry
    let security = configuration.security
    let hasher = PasswordHasher(cost: security.bcryptCost)
    let health = HealthController(database: database)
    let keyRing = KeyRing(master: master)
    let tokens = TokenCache(lifetime: security.tokenCacheLifetime)

    let lgwanRoutes = RouteTable()
    let lgwan = Router(context: AppRequestContext.self)
    lgwan.add(middleware: MetricsMiddleware())
    lgwan.add(middleware: SlowRequestMiddleware(threshold: security.slowRequestThreshold))
    lgwan.add(middleware: ProblemMiddleware(maxUploadSize: security.maxBodySize))
    lgwan.add(middleware: MethodNotAllowedMiddleware(table: lgwanRoutes))
    lgwan.add(middleware: AuthenticationMiddleware(accepts: .sessions, database: database, cache: tokens, security: security))
    health.addRoutes(to: lgwan)
    OperationsController(listener: .lgwan).addRoutes(to: lgwan)
    SessionController(
        database: database, login: LoginService(database: database, master: master, hasher: hasher, security: security),
        hasher: hasher, security: security
    ).addRoutes(to: lgwan)
    MunicipalityController(database: database, master: master).addRoutes(to: lgwan)
    UserController(database: database, hasher: hasher).addRoutes(to: lgwan)
    ViewerController(database: database, hasher: hasher).addRoutes(to: lgwan)
    AccountRequestController(database: database, hasher: hasher).addRoutes(to: lgwan)
    DeviceController(database: database).addRoutes(to: lgwan)
    AuditController(database: database).addRoutes(to: lgwan)
    PersonController(database: database, keyRing: keyRing, maxImportSize: security.maxImportSize).addRoutes(to: lgwan)
    VaccinationController(database: database, maxImportSize: security.maxImportSize).addRoutes(to: lgwan)
    DoseCorrectionController(database: database).addRoutes(to: lgwan)
    PersonCorrectionController(database: database, keyRing: keyRing).addRoutes(to: lgwan)
    LedgerController(database: database).addRoutes(to: lgwan)
    TransferController(database: database, keyRing: keyRing, maxImportSize: security.maxImportSize,
                       retention: security.transferRetention).addRoutes(to: lgwan)
    ProvisionRecordController(database: database).addRoutes(to: lgwan)
    StatisticsController(database: database).addRoutes(to: lgwan)
    CertificateController(
        database: database, keyRing: keyRing, master: master,
        issuer: security.certificateIssuer ?? "http://\(configuration.publicHost):\(configuration.publicPort)"
    ).addRoutes(to: lgwan)
    lgwanRoutes.load(from: lgwan)
    let api = lgwan.buildResponder()
    let console = ConsoleController(console: Console(
        api: ConsoleAPI(responder: api), pages: ConsolePages(),
        tokens: ConsoleTokens(key: FormTokenKey(master: master), secureCookies: security.consoleSecureCookies),
        maxUpload: security.consoleMaxUpload))

    let publicRoutes = RouteTable()
    let publicRouter = Router(context: AppRequestContext.self)
    publicRouter.add(middleware: MetricsMiddleware())
    publicRouter.add(middleware: SlowRequestMiddleware(threshold: security.slowRequestThreshold))
    publicRouter.add(middleware: ProblemMiddleware(maxUploadSize: security.maxBodySize))
    publicRouter.add(middleware: MethodNotAllowedMiddleware(table: publicRoutes))
    publicRouter.add(middleware: AuthenticationMiddleware(accepts: .devices, database: database, cache: tokens, security: security))
    health.addRoutes(to: publicRouter)
    OperationsController(listener: .public).addRoutes(to: publicRouter)
    TabletController(database: database).addRoutes(to: publicRouter)
    IssuerKeysController(keys: IssuerKeyRepository(database: database), certificates: CertificateRepository(logger: logger), database: database)
        .addRoutes(to: publicRouter)
    publicRoutes.load(from: publicRouter)

    func application<Responder: HTTPResponder>(_ responder: Responder, name: String, host: String, port: Int) -> Application<Responder>
    where Responder.Context == AppRequestContext {
        Application(
            responder: responder,
            configuration: .init(address: .hostname(host, port: port), serverName: "vrs"),
            onServerRunning: { channel in
                let address = channel.localAddress
                onListening?(name, "\(address?.ipAddress ?? host):\(address?.port ?? port)")
            },
            logger: logger
        )
    }
    return VRSApplications(
        lgwan: application(LGWANResponder(api: api, console: console.responder()), name: "lgwan", host: configuration.lgwanHost, port: configuration.lgwanPort),
        public: application(publicRouter.buildResponder(), name: "public", host: configuration.publicHost, port: configuration.publicPort),
        revocations: RevocationListener(database: database, cache: tokens, logger: logger),
        transfers: TransferBatchWorker(
            work: TransferBatchWork(database: database, keyRing: keyRing, chunkSize: security.transferChunkSize),
            pollInterval: security.transferPollInterval, logger: logger)
    )
}

/// The LG-WAN listener: the staff console under `/console`, the JSON API everywhere else.
public struct LGWANResponder: HTTPResponder {
    public typealias Context = AppRequestContext
    let api: RouterResponder<AppRequestContext>
    let console: RouterResponder<AppRequestContext>

    public func respond(to request: Request, context: AppRequestContext) async throws -> Response {
        let path = request.uri.path
        if path == "/console" || path.hasPrefix("/console/") { return try await console.respond(to: request, context: context) }
        return try await api.respond(to: request, context: context)
    }
}
