import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PostgresNIO
import VRSDomain
import VRSServer
import VRSStore
import VRSTestSupport

/// Both listeners of a server on a fresh database, with accounts to act as.
struct TestApp {
    let store: TestStore
    let lgwan: any TestClientProtocol
    let `public`: any TestClientProtocol
    static let a = try! MunicipalityCode("131016")
    static let b = try! MunicipalityCode("011002")
    /// The password every prepared account has (their initial password already changed).
    static let password = "correct horse battery staple"

    /// Fast settings for tests: bcrypt at its cheapest, a small body limit.
    static func security() -> SecurityConfiguration {
        var security = SecurityConfiguration()
        security.bcryptCost = 4
        security.maxBodySize = 4096
        return security
    }

    /// Runs `body` with both listeners on a fresh database where A and B are provisioned; `.live`
    /// serves over real sockets, where requests have a client address.
    static func run(security: SecurityConfiguration = security(), testing: TestingSetup = .router,
                    _ body: @escaping @Sendable (TestApp) async throws -> Void) async throws {
        try await withTestStore { store in
            try await store.provision(a, b)
            let apps = buildApplications(
                configuration: ServerConfiguration(security: security), database: store.database, master: store.master, logger: store.logger)
            try await apps.lgwan.test(testing) { lgwan in
                try await apps.public.test(testing) { publicClient in
                    try await body(TestApp(store: store, lgwan: lgwan, public: publicClient))
                }
            }
        }
    }

    /// Creates an account as the host administrator (password already changed unless `mustChange`); returns the TOTP seed for operators.
    @discardableResult
    func account(_ userID: String, _ role: AccountRole, in municipality: MunicipalityCode?, mustChange: Bool = false) async throws -> String? {
        let enrolment = role == .operator ? OperatorEnrolment.make(userID: userID, master: store.master, bcryptCost: 4) : nil
        let hash = HashFor.password
        // As the host administrator would: no caller role may create an account with a chosen password.
        try await HostAdministration(admin: store.admin, logger: store.logger).create(
            NewAccount(userID: userID, role: role, municipality: municipality, displayName: userID, passwordHash: hash,
                       sealedTOTPSecret: enrolment?.sealedSeed, mustChangePassword: mustChange),
            actor: "test.host")
        return enrolment.map { URLComponents(string: $0.otpauthURL)!.queryItems!.first { $0.name == "secret" }!.value! }
    }

    /// Signs in and returns the session token.
    func signIn(_ userID: String, password: String = TestApp.password, seed: String? = nil) async throws -> String {
        let otp = seed.map { OperatorEnrolment.currentCode(base32Seed: $0) }
        let response = try await call(.post, "/v1/sessions", json: ["userId": userID, "password": password, "otp": otp])
        guard response.status == .created else {
            var reasons: [String] = []
            for try await d in try await store.admin.query("SELECT details::text FROM vrs.audit_event ORDER BY occurred_at", logger: store.logger).decode(String.self) { reasons.append(d) }
            throw TestFailure("sign-in of \(userID) answered \(response.status): \(response.text) \(reasons)")
        }
        return try response.json()["token"] as! String
    }

    /// A request on the LG-WAN listener (or the public one).
    func call(_ method: HTTPRequest.Method, _ path: String, token: String? = nil, json: [String: String?]? = nil,
              on listener: KeyPath<TestApp, any TestClientProtocol> = \.lgwan) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        var body: ByteBuffer?
        if let json {
            headers[.contentType] = "application/json"
            body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json.compactMapValues { $0 }))
        }
        return try await self[keyPath: listener].execute(uri: path, method: method, headers: headers, body: body)
    }
}

/// One bcrypt hash (cost 4) of `TestApp.password`, shared by all prepared accounts.
enum HashFor {
    static let password = HummingbirdBcryptShim.hash(TestApp.password)
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension TestResponse {
    var text: String { String(buffer: body) }
    func json() throws -> [String: Any] { try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:] }
    var isProblem: Bool { headers[.contentType] == "application/problem+json" }
}
