import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import VRSServer
import VRSStore
import Yams

/// The server against its contract, `Sources/VRSServer/Resources/openapi.yaml`: the document is
/// well-formed, names exactly the routes both listeners serve, documents every status the
/// authorization matrix expects, describes the bodies the server really sends, and is served as is.
@Suite("Contract (openapi.yaml)")
struct ContractTests {
    // MARK: (a) the document itself

    @Test func theDocumentIsOpenAPI31AndEveryOperationIsComplete() throws {
        let spec = try Spec.load()
        #expect((spec.root["openapi"] as? String)?.hasPrefix("3.1.") == true, "openapi: \(spec.root["openapi"] ?? "missing")")
        #expect(spec.operations.count >= 18, "only \(spec.operations.count) operations found")

        var problems: [String] = []
        var ids: [String: String] = [:]
        let schemes = spec.dictionary("components", "securitySchemes")
        for scheme in ["session", "device"] {
            let s = schemes?[scheme] as? [String: Any]
            if s?["type"] as? String != "http" || s?["scheme"] as? String != "bearer" { problems.append("security scheme \(scheme) is not http bearer") }
        }
        let servers = (spec.root["servers"] as? [[String: Any]] ?? []).compactMap { $0["url"] as? String }
        if Set(servers) != Set(Listener.allCases.map(\.url)) { problems.append("servers \(servers) are not the two listeners") }
        for name in ["Unauthorized", "Forbidden", "PasswordChangeRequired", "NotFound", "Conflict", "ValidationFailed", "BadRequest",
                     "UnsupportedMediaType", "ContentTooLarge", "NotReady", "InternalError"] where spec.dictionary("components", "responses", name) == nil {
            problems.append("components/responses/\(name) is missing")
        }
        let problemProperties = Set((spec.dictionary("components", "schemas", "Problem", "properties") ?? [:]).keys)
        if problemProperties != ["type", "title", "status", "detail", "instance", "errors"] { problems.append("Problem has properties \(problemProperties.sorted())") }

        for op in spec.operations {
            let name = "\(op.method) \(op.path)"
            if op.operationId.isEmpty { problems.append("\(name): no operationId") }
            if let other = ids[op.operationId] { problems.append("\(name): operationId \(op.operationId) also used by \(other)") }
            ids[op.operationId] = name
            if (op.raw["summary"] as? String ?? "").isEmpty { problems.append("\(name): no summary") }
            if op.responses.isEmpty { problems.append("\(name): no responses") }
            if op.listeners.isEmpty { problems.append("\(name): tagged with neither lgwan nor public") }
            if op.listeners != op.serverListeners { problems.append("\(name): tags say \(op.listeners), path servers say \(op.serverListeners)") }
            guard let security = op.raw["security"] as? [[String: Any]] else {
                problems.append("\(name): no explicit security")
                continue
            }
            for requirement in security {
                for scheme in requirement.keys where schemes?[scheme] == nil { problems.append("\(name): unknown security scheme \(scheme)") }
            }
            if !security.isEmpty && op.responses["401"] == nil { problems.append("\(name): needs a token but documents no 401") }
            for (status, response) in op.responses where status.hasPrefix("4") || status.hasPrefix("5") {
                // Every problem goes through a reusable response carrying the one Problem schema.
                guard let ref = (response as? [String: Any])?["$ref"] as? String, ref.hasPrefix("#/components/responses/") else {
                    problems.append("\(name) \(status): not a $ref to components/responses")
                    continue
                }
                let target = spec.resolve(ref)
                let schema = ((target?["content"] as? [String: Any])?["application/problem+json"] as? [String: Any])?["schema"] as? [String: Any]
                if schema?["$ref"] as? String != "#/components/schemas/Problem" {
                    problems.append("\(name) \(status): \(ref) is not application/problem+json with the Problem schema")
                }
            }
        }
        #expect(problems.isEmpty, "\(problems.count) problems:\n\(problems.joined(separator: "\n"))")
    }

    // MARK: (b) the documented routes are exactly the served ones

    /// Hummingbird's `Router.routes` would list the routes, but `buildApplications` keeps its routers
    /// inside the applications (whose responder keeps its trie internal). So every documented
    /// (method, path) is probed anonymously on each listener: it must reach a handler (anything but
    /// the router's own "no such route" 404) where the contract puts it and nowhere else, and every
    /// other method on the same path, and a set of near-miss paths, must not.
    @Test func theDocumentedRoutesAreExactlyTheServedOnes() async throws {
        let spec = try Spec.load()
        try await TestApp.run { app in
            var problems: [String] = []
            let methods: [HTTPRequest.Method] = [.get, .post, .put, .delete, .patch]
            var probedPaths: Set<String> = []
            for op in spec.operations {
                let path = Spec.filled(op.path)
                for listener in Listener.allCases {
                    let response = try await app.call(op.method, path, on: listener.client)
                    let served = !Self.isNoSuchRoute(response)
                    if op.listeners.contains(listener) {
                        if !served { problems.append("\(op.method) \(op.path) is documented on \(listener) but not served there") }
                        else if op.responses[String(response.status.code)] == nil {
                            problems.append("\(op.method) \(op.path) on \(listener) anonymously answered \(response.status.code), which is not documented")
                        }
                    } else if served {
                        problems.append("\(op.method) \(op.path) is served on \(listener) (\(response.status.code)) but documented only on \(op.listeners)")
                    }
                }
                guard probedPaths.insert(op.path).inserted else { continue }
                for listener in Listener.allCases {
                    let documented = methods.filter { spec.operation($0, op.path, on: listener) != nil }.map(\.rawValue).sorted()
                    for method in methods where spec.operation(method, op.path, on: listener) == nil {
                        let response = try await app.call(method, path, on: listener.client)
                        if !Self.isNoSuchRoute(response) {
                            problems.append("\(method) \(op.path) is not documented on \(listener) but answers \(response.status.code): \(response.text.prefix(120))")
                        } else if documented.isEmpty != (response.status == .notFound) {
                            problems.append("\(method) \(op.path) on \(listener) answers \(response.status.code); documented methods there: \(documented)")
                        } else if response.status == .methodNotAllowed, response.headers[.allow] != documented.joined(separator: ", ") {
                            problems.append("\(method) \(op.path) on \(listener): Allow \(response.headers[.allow] ?? "-"), documented \(documented)")
                        }
                    }
                }
            }
            let nearMisses = ["/", "/v1", "/v2/sessions", "/health", "/ready", "/openapi.json", "/v1/session", "/v1/sessions/other",
                              "/v1/users/me", "/v1/users/someone", "/v1/users/someone/delete", "/v1/municipalities/131016",
                              "/v1/municipalities/131016/devices", "/v1/devices/current", "/v1/tablet", "/v1/tablet/vaccinations",
                              "/v1/persons", "/v1/vaccinations", "/v1/audit-events/1", "/v1/statistics/vaccinations"]
            for path in nearMisses {
                for listener in Listener.allCases {
                    for method in methods where spec.operation(method, path, on: listener) == nil {
                        let response = try await app.call(method, path, on: listener.client)
                        if !Self.isNoSuchRoute(response) { problems.append("\(method) \(path) on \(listener) answers \(response.status.code), but is not documented") }
                    }
                }
            }
            #expect(problems.isEmpty, "\(problems.count) problems:\n\(problems.joined(separator: "\n"))")
        }
    }

    // MARK: (c) the authorization matrix is documented

    @Test func everyStatusOfTheAuthorizationMatrixIsDocumented() throws {
        let spec = try Spec.load()
        var problems: [String] = []
        var matched = 0
        for row in AuthorizationMatrixTests.rows(deviceOfA: UUID().uuidString.lowercased()) {
            guard let op = spec.operation(row.method, row.path, on: .lgwan) else {
                // Only the matrix's probe of an unknown route may be missing from the contract.
                if ![404, 405].contains(row.expected[AuthorizationMatrixTests.Who.none]) { problems.append("\(row.method) \(row.path) is in the matrix but not in the contract") }
                continue
            }
            matched += 1
            for who in AuthorizationMatrixTests.Who.allCases {
                guard let status = row.expected[who] else { continue }
                if op.responses[String(status)] == nil {
                    problems.append("\(row.method) \(row.path) (\(op.operationId)) as \(who): \(status) is not documented")
                }
            }
        }
        #expect(matched >= 17, "only \(matched) matrix rows matched an operation")
        #expect(problems.isEmpty, "\(problems.count) problems:\n\(problems.joined(separator: "\n"))")
    }

    // MARK: (d) the served document is the file

    @Test func theLGWANListenerServesTheFileByteForByte() async throws {
        let file = try Data(contentsOf: Spec.url)
        try await TestApp.run { app in
            let response = try await app.call(.get, "/openapi.yaml")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/yaml")
            #expect(Data(response.body.readableBytesView) == file, "the served contract differs from \(Spec.url.path)")
        }
    }

    // MARK: (e) what the server sends matches the documented schemas

    /// A walk through every operation (successes and the usual failures), checking each answer's
    /// status is documented for the operation and its body matches the documented media type and
    /// schema (fields the schema does not name count as mismatches).
    @Test func responsesMatchTheirDocumentedSchemas() async throws {
        let spec = try Spec.load()
        try await TestApp.run { app in
            let log = Mismatches()
            @discardableResult
            func exchange(_ method: HTTPRequest.Method, _ path: String, token: String? = nil, json: [String: String?]? = nil,
                          on listener: Listener = .lgwan, expect status: Int) async throws -> TestResponse {
                let response = try await app.call(method, path, token: token, json: json, on: listener.client)
                log.add(spec.check(response, method: method, path: path, on: listener))
                if Int(response.status.code) != status { log.add(["\(method) \(path): \(response.status.code), expected \(status) — \(response.text.prefix(200))"]) }
                return response
            }
            func raw(_ path: String, body: String, contentType: String, expect status: Int) async throws {
                let response = try await app.lgwan.execute(uri: path, method: .post, headers: [.contentType: contentType], body: ByteBuffer(string: body))
                log.add(spec.check(response, method: .post, path: path, on: .lgwan))
                if Int(response.status.code) != status { log.add(["POST \(path) (\(contentType)): \(response.status.code), expected \(status)"]) }
            }

            for listener in Listener.allCases {
                try await exchange(.get, "/healthz", on: listener, expect: 200)
                try await exchange(.get, "/readyz", on: listener, expect: 200)
                try await exchange(.get, "/healthz", token: "vrsx_nonsense", on: listener, expect: 401)
            }
            try await exchange(.get, "/metrics", expect: 200)
            try await exchange(.get, "/openapi.yaml", expect: 200)

            // Operator: log-in with TOTP, the tenant registry, a municipal admin with an initial password.
            let seed = try await app.account("op.one", .operator, in: nil)!
            let opToken = try await exchange(.post, "/v1/sessions", json: [
                "userId": "op.one", "password": TestApp.password, "otp": OperatorEnrolment.currentCode(base32Seed: seed)], expect: 201).json()["token"] as? String
            try await exchange(.post, "/v1/sessions", json: ["userId": "nobody.at.all", "password": "whatever it is"], expect: 401)
            try await exchange(.get, "/v1/sessions/current", token: opToken, expect: 200)
            try await exchange(.post, "/v1/municipalities", token: opToken, json: ["code": "12100"], expect: 201)
            try await exchange(.post, "/v1/municipalities", token: opToken, json: ["code": "121002"], expect: 409)
            try await exchange(.post, "/v1/municipalities", token: opToken, json: ["code": "121003"], expect: 422)
            try await exchange(.get, "/v1/municipalities", token: opToken, expect: 200)
            let issued = try await exchange(.post, "/v1/municipalities/131016/users", token: opToken,
                                            json: ["userId": "a.boss", "role": "admin", "displayName": "管理者 花子"], expect: 201).json()
            try await exchange(.post, "/v1/municipalities/999997/users", token: opToken,
                               json: ["userId": "z.boss", "role": "admin", "displayName": "誰か"], expect: 404)
            try await exchange(.post, "/v1/users", token: opToken, json: ["userId": "o.x1", "role": "staff", "displayName": "x"], expect: 403)
            try await exchange(.get, "/v1/audit-events", token: opToken, expect: 200)

            // The new admin: initial password first, then its own staff and tablets.
            let initial = issued["initialPassword"] as? String ?? ""
            var adminToken = try await exchange(.post, "/v1/sessions", json: ["userId": "a.boss", "password": initial], expect: 201).json()["token"] as? String
            try await exchange(.get, "/v1/audit-events", token: adminToken, expect: 403)
            try await exchange(.put, "/v1/users/me/password", token: adminToken,
                               json: ["currentPassword": initial, "newPassword": "short"], expect: 422)
            try await exchange(.put, "/v1/users/me/password", token: adminToken,
                               json: ["currentPassword": initial, "newPassword": "a brand new long passphrase"], expect: 204)
            adminToken = try await exchange(.post, "/v1/sessions", json: ["userId": "a.boss", "password": "a brand new long passphrase"],
                                            expect: 201).json()["token"] as? String
            try await exchange(.post, "/v1/users", token: adminToken, json: ["userId": "a.clerk", "role": "staff", "displayName": "職員 一郎"], expect: 201)
            try await exchange(.post, "/v1/users", token: adminToken, json: ["userId": "a.clerk", "role": "staff", "displayName": "職員 二郎"], expect: 409)
            try await exchange(.post, "/v1/users", token: adminToken, json: ["userId": "x", "role": "boss", "displayName": " "], expect: 422)
            try await exchange(.post, "/v1/users/a.clerk/lock", token: adminToken, expect: 200)
            try await exchange(.post, "/v1/users/a.clerk/unlock", token: adminToken, expect: 200)
            try await exchange(.post, "/v1/users/a.clerk/password-reset", token: adminToken, expect: 200)
            try await exchange(.post, "/v1/users/nobody.here/lock", token: adminToken, expect: 404)
            try await exchange(.post, "/v1/users/a.boss/lock", token: adminToken, expect: 409)
            let device = try await exchange(.post, "/v1/devices", token: adminToken, json: ["label": " 会場1 タブレット "], expect: 201).json()
            try await exchange(.post, "/v1/devices", token: adminToken, json: ["label": "   "], expect: 422)
            try await exchange(.get, "/v1/tablet/device", token: device["token"] as? String, on: .public, expect: 200)
            try await exchange(.get, "/v1/tablet/device", on: .public, expect: 401)
            try await exchange(.delete, "/v1/devices/\(device["deviceId"] as? String ?? "")", token: adminToken, expect: 204)
            try await exchange(.delete, "/v1/devices/\(device["deviceId"] as? String ?? "")", token: adminToken, expect: 404)
            try await exchange(.get, "/v1/audit-events", token: adminToken, expect: 200)
            try await exchange(.get, "/v1/audit-events?limit=1", token: adminToken, expect: 200)
            try await exchange(.get, "/v1/audit-events?limit=0", token: adminToken, expect: 422)
            try await exchange(.get, "/v1/audit-events?before=yesterday", token: adminToken, expect: 422)
            try await exchange(.delete, "/v1/sessions/current", token: adminToken, expect: 204)
            try await exchange(.get, "/v1/sessions/current", token: adminToken, expect: 401)

            // Bodies that are not JSON, or not JSON at all.
            try await raw("/v1/sessions", body: "{\"userId\": ", contentType: "application/json", expect: 400)
            try await raw("/v1/sessions", body: "userId=a", contentType: "application/x-www-form-urlencoded", expect: 415)
            try await raw("/v1/sessions", body: "{\"userId\": 12, \"password\": \"x\"}", contentType: "application/json", expect: 422)
            // TestApp allows 4096 bytes.
            try await raw("/v1/sessions", body: "{\"userId\": \"" + String(repeating: "x", count: 10_000) + "\", \"password\": \"x\"}",
                          contentType: "application/json", expect: 413)

            let mismatches = log.all
            #expect(mismatches.isEmpty, "\(mismatches.count) mismatches:\n\(mismatches.joined(separator: "\n"))")
        }
    }

    /// The router's own answer for an unknown route (ProblemMiddleware's wording).
    /// The router's own refusals: no such path (404), or a known path without this method (405).
    static func isNoSuchRoute(_ response: TestResponse) -> Bool {
        (response.status == .notFound && (try? response.json()["detail"] as? String) == "There is no such route.")
            || (response.status == .methodNotAllowed && (try? response.json()["type"] as? String) == "urn:vrs:problem:method-not-allowed")
    }
}

/// Collected mismatches of a walk (the walk's closures are not allowed to mutate a captured var).
final class Mismatches: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ new: [String]) {
        lock.lock()
        defer { lock.unlock() }
        items += new
    }
    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return items
    }
}

/// The two listeners, as the contract names them (tags and server URLs) and as the tests reach them.
enum Listener: String, CaseIterable, CustomStringConvertible, Sendable {
    case lgwan, `public`
    var url: String { self == .lgwan ? "http://127.0.0.1:8080" : "http://127.0.0.1:8081" }
    var client: KeyPath<TestApp, any TestClientProtocol> {
        switch self {
        case .lgwan: \.lgwan
        case .public: \.public
        }
    }
    var description: String { rawValue }
}

/// The parsed contract.
struct Spec: @unchecked Sendable {
    struct Operation {
        let method: HTTPRequest.Method
        let path: String
        let raw: [String: Any]
        var operationId: String { raw["operationId"] as? String ?? "" }
        var responses: [String: Any] { raw["responses"] as? [String: Any] ?? [:] }
        /// From the tags `lgwan` / `public`.
        let listeners: Set<Listener>
        /// From the path's `servers`.
        let serverListeners: Set<Listener>
    }

    static let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/VRSServer/Resources/openapi.yaml")

    let root: [String: Any]
    let operations: [Operation]

    static func load() throws -> Spec {
        let text = try String(contentsOf: url, encoding: .utf8)
        guard let root = try Yams.load(yaml: text) as? [String: Any] else { throw TestFailure("\(url.path) is not a YAML mapping") }
        var operations: [Operation] = []
        let methods: [String: HTTPRequest.Method] = ["get": .get, "put": .put, "post": .post, "delete": .delete, "patch": .patch,
                                                     "head": .head, "options": .options, "trace": .trace]
        for (path, item) in root["paths"] as? [String: Any] ?? [:] {
            guard let item = item as? [String: Any] else { continue }
            let servers = Set((item["servers"] as? [[String: Any]] ?? []).compactMap { server in
                Listener.allCases.first { $0.url == server["url"] as? String }
            })
            for (key, method) in methods {
                guard let raw = item[key] as? [String: Any] else { continue }
                let tags = Set(raw["tags"] as? [String] ?? []).compactMap(Listener.init(rawValue:))
                operations.append(Operation(method: method, path: path, raw: raw, listeners: Set(tags), serverListeners: servers))
            }
        }
        return Spec(root: root, operations: operations.sorted { ($0.path, $0.method.rawValue) < ($1.path, $1.method.rawValue) })
    }

    /// The value at a chain of mapping keys.
    func dictionary(_ keys: String...) -> [String: Any]? {
        var node: Any? = root
        for key in keys { node = (node as? [String: Any])?[key] }
        return node as? [String: Any]
    }

    /// The mapping a local `$ref` points at.
    func resolve(_ ref: String) -> [String: Any]? {
        guard ref.hasPrefix("#/") else { return nil }
        var node: Any? = root
        for key in ref.dropFirst(2).split(separator: "/") { node = (node as? [String: Any])?[String(key)] }
        return node as? [String: Any]
    }

    /// Follows `$ref`s until a mapping without one.
    func dereferenced(_ node: [String: Any]) -> [String: Any] {
        var node = node
        while let ref = node["$ref"] as? String, let target = resolve(ref) { node = target }
        return node
    }

    /// The operation serving `path` (a concrete path or a template) for `method` on `listener`;
    /// literal segments win over parameters, as in the router.
    func operation(_ method: HTTPRequest.Method, _ path: String, on listener: Listener) -> Operation? {
        let segments = path.split(separator: "?")[0].split(separator: "/")
        let candidates = operations.filter { op in
            let template = op.path.split(separator: "/")
            guard op.method == method, op.listeners.contains(listener), template.count == segments.count else { return false }
            return zip(template, segments).allSatisfy { t, s in t == s || (t.hasPrefix("{") && t.hasSuffix("}")) }
        }
        return candidates.min { $0.path.filter { $0 == "{" }.count < $1.path.filter { $0 == "{" }.count }
    }

    /// A template with its parameters filled in with plausible values.
    static func filled(_ template: String) -> String {
        let values = ["{code}": "131016", "{userId}": "nobody.here", "{deviceId}": UUID().uuidString.lowercased()]
        return values.reduce(template) { $0.replacingOccurrences(of: $1.key, with: $1.value) }
    }

    /// Mismatches between a response and what the contract documents for it.
    func check(_ response: TestResponse, method: HTTPRequest.Method, path: String, on listener: Listener) -> [String] {
        let name = "\(method) \(path) on \(listener) → \(response.status.code)"
        guard let op = operation(method, path, on: listener) else { return ["\(name): no such operation in the contract"] }
        guard let documented = op.responses[String(response.status.code)] as? [String: Any] else {
            return ["\(name): status not documented for \(op.operationId)"]
        }
        let content = dereferenced(documented)["content"] as? [String: Any] ?? [:]
        if content.isEmpty {
            return response.body.readableBytes == 0 ? [] : ["\(name): documented without a body, but has \(response.body.readableBytes) bytes"]
        }
        let contentType = response.headers[.contentType] ?? ""
        guard let (_, media) = content.first(where: { contentType.hasPrefix($0.key) }) else {
            return ["\(name): Content-Type \(contentType) is not one of \(content.keys.sorted())"]
        }
        guard let schema = (media as? [String: Any])?["schema"] as? [String: Any] else { return [] }
        if !contentType.hasPrefix("application/json") && !contentType.hasPrefix("application/problem+json") { return [] }
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(response.body.readableBytesView)) else {
            return ["\(name): the body is not JSON"]
        }
        var errors: [String] = []
        validate(value, schema, at: "body", into: &errors)
        return errors.map { "\(name): \($0)" }
    }

    /// A small JSON Schema check: $ref, type, const, enum, required, properties (fields not named are
    /// errors), items, pattern, length, bounds and the date-time and uuid formats.
    func validate(_ value: JSONValue, _ schema: [String: Any], at location: String, into errors: inout [String]) {
        let schema = dereferenced(schema)
        if let constant = schema["const"] {
            if !value.equals(constant) { errors.append("\(location): \(value) is not \(constant)") }
        }
        if let options = schema["enum"] as? [Any], !options.contains(where: value.equals) {
            errors.append("\(location): \(value) is not one of \(options)")
        }
        let types = (schema["type"] as? [String]) ?? (schema["type"] as? String).map { [$0] } ?? []
        if !types.isEmpty && !types.contains(where: value.isOfType) {
            errors.append("\(location): \(value.typeName), documented \(types)")
            return
        }
        switch value {
        case .object(let fields):
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for key in schema["required"] as? [String] ?? [] where fields[key] == nil { errors.append("\(location): required \(key) is missing") }
            for (key, field) in fields {
                guard let property = properties[key] as? [String: Any] else {
                    if !properties.isEmpty { errors.append("\(location): \(key) is not documented") }
                    continue
                }
                validate(field, property, at: "\(location).\(key)", into: &errors)
            }
        case .array(let items):
            if let itemSchema = schema["items"] as? [String: Any] {
                for (index, item) in items.enumerated() { validate(item, itemSchema, at: "\(location)[\(index)]", into: &errors) }
            }
        case .string(let text):
            if let pattern = schema["pattern"] as? String, text.range(of: pattern, options: .regularExpression) == nil {
                errors.append("\(location): \"\(text.prefix(80))\" does not match \(pattern)")
            }
            if let min = schema["minLength"] as? Int, text.count < min { errors.append("\(location): shorter than \(min)") }
            if let max = schema["maxLength"] as? Int, text.count > max { errors.append("\(location): longer than \(max)") }
            switch schema["format"] as? String {
            case "date-time" where ISO8601DateFormatter().date(from: text) == nil: errors.append("\(location): \(text) is not a date-time")
            case "uuid" where UUID(uuidString: text) == nil: errors.append("\(location): \(text) is not a uuid")
            default: break
            }
        case .integer(let number):
            if let min = schema["minimum"] as? Int, number < min { errors.append("\(location): \(number) < \(min)") }
            if let max = schema["maximum"] as? Int, number > max { errors.append("\(location): \(number) > \(max)") }
        default: break
        }
    }
}

/// A decoded JSON value that keeps booleans, integers and other numbers apart.
enum JSONValue: Decodable, CustomStringConvertible {
    case null, bool(Bool), integer(Int), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int.self) { self = .integer(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .integer: "integer"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    func isOfType(_ type: String) -> Bool { type == typeName || (type == "number" && typeName == "integer") }

    /// Equality with a value from the YAML document.
    func equals(_ other: Any) -> Bool {
        switch self {
        case .string(let s): s == other as? String
        case .integer(let i): i == other as? Int
        case .bool(let b): b == other as? Bool
        case .null: other is NSNull
        default: false
        }
    }

    var description: String {
        switch self {
        case .string(let s): "\"\(s.prefix(60))\""
        case .integer(let i): "\(i)"
        case .number(let d): "\(d)"
        case .bool(let b): "\(b)"
        default: typeName
        }
    }
}
