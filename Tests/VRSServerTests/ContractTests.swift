import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import VRSServer
import VRSStore
import Yams

/// The server against its contracts. Each listener serves the document of its own routes at
/// `/openapi.yaml`: the LG-WAN listener `Sources/VRSServer/Resources/openapi.yaml`, the public one
/// `Sources/VRSServer/Resources/openapi-public.yaml`. Each document is well-formed, names exactly
/// the routes its listener serves (and none of the other's), documents every status the
/// authorization matrix expects, describes the bodies the server really sends, and is served as is.
@Suite("Contract (openapi.yaml, openapi-public.yaml)")
struct ContractTests {
    // MARK: (a) each document itself

    @Test(arguments: Listener.allCases)
    func theDocumentIsOpenAPI31AndEveryOperationIsComplete(_ listener: Listener) throws {
        let spec = try Spec.load(listener)
        #expect((spec.root["openapi"] as? String)?.hasPrefix("3.1.") == true, "openapi: \(spec.root["openapi"] ?? "missing")")
        #expect(spec.operations.count >= listener.minimumOperations, "only \(spec.operations.count) operations found in \(listener.file)")

        var problems: [String] = []
        var ids: [String: String] = [:]
        let schemes = spec.dictionary("components", "securitySchemes")
        let schemeNames = Set((schemes ?? [:]).keys)
        if schemeNames != [listener.securityScheme] {
            problems.append("security schemes \(schemeNames.sorted()) are not just \(listener.securityScheme)")
        }
        for (name, scheme) in schemes ?? [:] {
            let s = scheme as? [String: Any]
            if s?["type"] as? String != "http" || s?["scheme"] as? String != "bearer" { problems.append("security scheme \(name) is not http bearer") }
        }
        let servers = (spec.root["servers"] as? [[String: Any]] ?? []).compactMap { $0["url"] as? String }
        if servers != [listener.url] { problems.append("servers \(servers) are not just the \(listener) listener") }
        for name in listener.requiredResponses where spec.dictionary("components", "responses", name) == nil {
            problems.append("components/responses/\(name) is missing")
        }
        let problemProperties = Set((spec.dictionary("components", "schemas", "Problem", "properties") ?? [:]).keys)
        if problemProperties != ["type", "title", "status", "detail", "instance", "errors"] { problems.append("Problem has properties \(problemProperties.sorted())") }
        let fieldErrorProperties = Set((spec.dictionary("components", "schemas", "FieldError", "properties") ?? [:]).keys)
        if fieldErrorProperties != ["field", "code", "message", "line", "column"] { problems.append("FieldError has properties \(fieldErrorProperties.sorted())") }
        if listener == .public {
            // architecture.md §3: no route of the public listener takes or returns a name or a number.
            let personal: Set<String> = ["personalNumber", "individualNumber", "familyName", "givenName", "familyNameKana", "givenNameKana",
                                         "name", "birthDate", "addressNumber", "personId"]
            for name in spec.propertyNames().intersection(personal).sorted() { problems.append("the public document has a property \(name)") }
        }

        for op in spec.operations {
            let name = "\(op.method) \(op.path)"
            if op.operationId.isEmpty { problems.append("\(name): no operationId") }
            if let other = ids[op.operationId] { problems.append("\(name): operationId \(op.operationId) also used by \(other)") }
            ids[op.operationId] = name
            if (op.raw["summary"] as? String ?? "").isEmpty { problems.append("\(name): no summary") }
            if op.responses.isEmpty { problems.append("\(name): no responses") }
            if op.listeners != [listener] { problems.append("\(name): tagged with \(op.listeners.map(\.rawValue).sorted()) in the \(listener) document") }
            if op.serverListeners != [listener] { problems.append("\(name): path servers say \(op.serverListeners.map(\.rawValue).sorted()) in the \(listener) document") }
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
        #expect(problems.isEmpty, "\(listener.file): \(problems.count) problems:\n\(problems.joined(separator: "\n"))")
    }

    // MARK: (b) each listener serves exactly the routes of its own document

    /// Hummingbird's `Router.routes` would list the routes, but `buildApplications` keeps its routers
    /// inside the applications (whose responder keeps its trie internal). So every path of either
    /// document is probed anonymously on each listener with every method: a method the listener's
    /// own document has for the path must reach a handler (anything but the router's own "no such
    /// route" 404 or "method not allowed" 405) and answer a documented status; any other method must
    /// not, and gets 405 with `Allow` = the documented methods where the path has some there, 404
    /// where it has none (a route of the other listener included). A set of near-miss paths must not
    /// reach a handler either.
    @Test func eachListenerServesExactlyTheRoutesOfItsOwnDocument() async throws {
        let specs = try Specs.load()
        try await TestApp.run { app in
            var problems: [String] = []
            let methods: [HTTPRequest.Method] = [.get, .post, .put, .delete, .patch]
            let paths = Set(Listener.allCases.flatMap { specs[$0].operations.map(\.path) }).sorted()
            for listener in Listener.allCases {
                let spec = specs[listener]
                for op in spec.operations {
                    let response = try await app.call(op.method, Spec.filled(op.path), on: listener.client)
                    if Self.isNoSuchRoute(response) {
                        problems.append("\(op.method) \(op.path) is in the \(listener) document but not served there (\(response.status.code))")
                    } else if op.responses[String(response.status.code)] == nil {
                        problems.append("\(op.method) \(op.path) on \(listener) anonymously answered \(response.status.code), which is not documented")
                    }
                }
                for path in paths {
                    let documented = methods.filter { spec.operation($0, path) != nil }.map(\.rawValue).sorted()
                    for method in methods where spec.operation(method, path) == nil {
                        let response = try await app.call(method, Spec.filled(path), on: listener.client)
                        if !Self.isNoSuchRoute(response) {
                            problems.append("\(method) \(path) is not in the \(listener) document but answers \(response.status.code) there: \(response.text.prefix(120))")
                        } else if documented.isEmpty != (response.status == .notFound) {
                            problems.append("\(method) \(path) on \(listener) answers \(response.status.code); documented methods there: \(documented)")
                        } else if response.status == .methodNotAllowed, response.headers[.allow] != documented.joined(separator: ", ") {
                            problems.append("\(method) \(path) on \(listener): Allow \(response.headers[.allow] ?? "-"), documented \(documented)")
                        }
                    }
                }
                let nearMisses = ["/", "/v1", "/v2/sessions", "/health", "/ready", "/openapi.json", "/openapi-public.yaml", "/metrics/x",
                                  "/v1/session", "/v1/sessions/other", "/v1/users/me", "/v1/users/someone", "/v1/users/someone/delete",
                                  "/v1/municipalities/131016", "/v1/municipalities/131016/devices", "/v1/devices/current", "/v1/tablet",
                                  "/v1/tablet/device/1", "/v1/tablet/vaccinations/1", "/v1/persons/import/1",
                                  "/v1/persons/00000000-0000-4000-8000-000000000000/vaccinations", "/v1/vaccinations/pending/1",
                                  "/v1/vaccinations/import/1", "/v1/audit-events/1", "/v1/statistics/vaccinations"]
                for path in nearMisses {
                    for method in methods where spec.operation(method, path) == nil {
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
        let spec = try Spec.load(.lgwan)
        var problems: [String] = []
        var matched = 0
        for row in AuthorizationMatrixTests.rows(deviceOfA: UUID().uuidString.lowercased()) {
            guard let op = spec.operation(row.method, row.path) else {
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

    // MARK: (d) each listener serves its own file

    @Test func eachListenerServesItsOwnFileByteForByte() async throws {
        let files = try Dictionary(uniqueKeysWithValues: Listener.allCases.map { ($0, try Data(contentsOf: Spec.url($0))) })
        #expect(files[.lgwan] != files[.public], "the two listeners' documents are the same file")
        try await TestApp.run { app in
            for listener in Listener.allCases {
                let response = try await app.call(.get, "/openapi.yaml", on: listener.client)
                #expect(response.status == .ok, "GET /openapi.yaml on \(listener): \(response.status)")
                #expect(response.headers[.contentType] == "application/yaml")
                #expect(Data(response.body.readableBytesView) == files[listener], "\(listener) does not serve \(Spec.url(listener).path)")
            }
        }
    }

    // MARK: (e) what the server sends matches the documented schemas

    /// A walk through every operation (successes and the usual failures), checking each answer's
    /// status is documented for the operation in its listener's document and its body matches the
    /// documented media type and schema (fields the schema does not name count as mismatches).
    @Test func responsesMatchTheirDocumentedSchemas() async throws {
        let specs = try Specs.load()
        try await TestApp.run { app in
            let log = Mismatches()
            func record(_ response: TestResponse, _ method: HTTPRequest.Method, _ path: String, on listener: Listener, expect status: Int, _ what: String = "") {
                log.add(specs[listener].check(response, method: method, path: path))
                if Int(response.status.code) != status {
                    log.add(["\(method) \(path)\(what) on \(listener): \(response.status.code), expected \(status) — \(response.text.prefix(200))"])
                }
            }
            @discardableResult
            func exchange(_ method: HTTPRequest.Method, _ path: String, token: String? = nil, json: [String: String?]? = nil,
                          on listener: Listener = .lgwan, expect status: Int) async throws -> TestResponse {
                let response = try await app.call(method, path, token: token, json: json, on: listener.client)
                record(response, method, path, on: listener, expect: status)
                return response
            }
            /// A JSON body with any values (numbers, nested objects).
            @discardableResult
            func send(_ method: HTTPRequest.Method, _ path: String, token: String?, body: [String: Any],
                      on listener: Listener = .lgwan, expect status: Int) async throws -> TestResponse {
                var headers: HTTPFields = [.contentType: "application/json"]
                if let token { headers[.authorization] = "Bearer \(token)" }
                let data = try JSONSerialization.data(withJSONObject: body)
                let response = try await app[keyPath: listener.client].execute(uri: path, method: method, headers: headers, body: ByteBuffer(bytes: data))
                record(response, method, path, on: listener, expect: status)
                return response
            }
            /// A file, as the imports take it.
            @discardableResult
            func upload(_ path: String, _ text: String, token: String?, contentType: String = "text/csv", key: String? = nil,
                        expect status: Int) async throws -> TestResponse {
                var headers: HTTPFields = [.contentType: contentType]
                if let token { headers[.authorization] = "Bearer \(token)" }
                if let key { headers[HTTPField.Name("Idempotency-Key")!] = key }
                let response = try await app.lgwan.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: text))
                record(response, .post, path, on: .lgwan, expect: status, " (\(contentType))")
                return response
            }
            func raw(_ path: String, body: String, contentType: String, expect status: Int) async throws {
                let response = try await app.lgwan.execute(uri: path, method: .post, headers: [.contentType: contentType], body: ByteBuffer(string: body))
                record(response, .post, path, on: .lgwan, expect: status, " (\(contentType))")
            }
            /// Coupon code of kind 1 for `dose`, `municipality` and coupon number `n`.
            func couponCode(_ n: Int, dose: Int = 1, municipality: String = "131016") -> String {
                "1\(dose)\(municipality)\(String(format: "%010d", n))"
            }

            for listener in Listener.allCases {
                try await exchange(.get, "/healthz", on: listener, expect: 200)
                try await exchange(.get, "/readyz", on: listener, expect: 200)
                try await exchange(.get, "/healthz", token: "vrsx_nonsense", on: listener, expect: 401)
                try await exchange(.get, "/openapi.yaml", on: listener, expect: 200)
            }
            try await exchange(.get, "/metrics", expect: 200)

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

            // People of A (131016) as its admin: a registration file, keyed retries, bad files; operators are refused.
            try await upload("/v1/persons/import", RegistrationFile.file(2), token: adminToken, expect: 200)
            try await upload("/v1/persons/import", RegistrationFile.file(2), token: adminToken, key: "walk-1", expect: 200)
            try await upload("/v1/persons/import", RegistrationFile.file(2), token: adminToken, key: "walk-1", expect: 200)
            try await upload("/v1/persons/import", RegistrationFile.file(3), token: adminToken, key: "walk-1", expect: 409)
            try await upload("/v1/persons/import", RegistrationFile.file(1), token: adminToken, key: "two words", expect: 400)
            try await upload("/v1/persons/import", "{}", token: adminToken, contentType: "application/json", expect: 415)
            try await upload("/v1/persons/import", RegistrationFile.file(1), token: adminToken, contentType: "text/csv; charset=iso-8859-1", expect: 415)
            try await upload("/v1/persons/import", RegistrationFile.file(1), token: opToken, expect: 403)
            let rejected = try await upload("/v1/persons/import", RegistrationFile.header + "\r\n" + RegistrationFile.line(9, birth: "20991231") + "\r\n",
                                            token: adminToken, expect: 422).json()
            let lineError = (rejected["errors"] as? [[String: Any]])?.first
            if lineError?["line"] as? Int != 2 || lineError?["column"] as? String != "birth_date" {
                log.add(["POST /v1/persons/import 422: \(lineError ?? [:]) does not name line 2, column birth_date"])
            }
            try await upload("/v1/persons/import", RegistrationFile.header + "\r\n", token: adminToken, expect: 422)

            // Finding, reading, registering, reissuing, moving out.
            let found = try await exchange(.get, "/v1/persons?addressNumber=A-00001", token: adminToken, expect: 200).json()
            let first = (found["persons"] as? [[String: Any]])?.first?["personId"] as? String ?? UUID().uuidString.lowercased()
            let second = try await exchange(.get, "/v1/persons?couponNumber=0000000002", token: adminToken, expect: 200)
                .json()["persons"] as? [[String: Any]]
            let secondID = second?.first?["personId"] as? String ?? UUID().uuidString.lowercased()
            try await exchange(.get, "/v1/persons?personalNumber=\(RegistrationFile.individualNumber(2))", token: adminToken, expect: 200)
            try await exchange(.get, "/v1/persons?addressNumber=nobody", token: adminToken, expect: 200)
            try await exchange(.get, "/v1/persons?personalNumber=123", token: adminToken, expect: 422)
            try await exchange(.get, "/v1/persons", token: adminToken, expect: 422)
            try await exchange(.get, "/v1/persons?addressNumber=A-00001&couponNumber=0000000001", token: adminToken, expect: 422)
            try await exchange(.get, "/v1/persons?addressNumber=A-00001&addressNumber=A-00002", token: adminToken, expect: 400)
            try await exchange(.get, "/v1/persons?addressNumber=A-00001", token: opToken, expect: 403)
            try await exchange(.get, "/v1/persons/\(first)", token: adminToken, expect: 200)
            try await exchange(.get, "/v1/persons/\(UUID().uuidString.lowercased())", token: adminToken, expect: 404)
            try await exchange(.get, "/v1/persons/not-a-uuid", token: adminToken, expect: 404)
            let newPerson: [String: Any] = [
                "addressNumber": "A-00003", "personalNumber": RegistrationFile.individualNumber(3), "familyName": "佐藤", "givenName": "花子",
                "familyNameKana": "サトウ", "givenNameKana": "ハナコ", "birthDate": "1985-04-01", "sex": "F", "movedInOn": "2020-04-01",
                "coupon": ["couponNumber": "0000000003", "kind": 1]]
            try await send(.post, "/v1/persons", token: adminToken, body: newPerson, expect: 201)
            try await send(.post, "/v1/persons", token: adminToken, body: newPerson, expect: 409)
            try await send(.post, "/v1/persons", token: adminToken,
                           body: newPerson.merging(["addressNumber": "A-00004", "personalNumber": "123456789012"]) { $1 }, expect: 422)
            try await send(.post, "/v1/persons", token: opToken, body: newPerson, expect: 403)
            try await send(.post, "/v1/persons/\(first)/coupons", token: adminToken, body: ["couponNumber": "0000000101", "kind": 1, "dose": 2], expect: 201)
            try await send(.post, "/v1/persons/\(first)/coupons", token: adminToken, body: ["couponNumber": "0000000101", "kind": 1], expect: 409)
            try await send(.post, "/v1/persons/\(first)/coupons", token: adminToken, body: ["couponNumber": "0000000102", "kind": 1, "dose": 10], expect: 422)
            try await send(.post, "/v1/persons/\(UUID().uuidString.lowercased())/coupons", token: adminToken,
                           body: ["couponNumber": "0000000103", "kind": 1], expect: 404)
            try await send(.post, "/v1/persons/\(first)/status", token: adminToken,
                           body: ["status": "moved_out", "effectiveDate": "2024-09-30", "destinationCode": "011002"], expect: 200)
            try await send(.post, "/v1/persons/\(first)/status", token: adminToken, body: ["status": "deceased"], expect: 422)
            try await send(.post, "/v1/persons/\(UUID().uuidString.lowercased())/status", token: adminToken, body: ["status": "active"], expect: 404)

            // Doses: staff (recorded with flags, duplicate, pending, refused), the tablet, a file, the pending list.
            let staffDose: [String: Any] = ["couponCode": couponCode(1), "vaccinatedOn": "2024-10-01", "product": "pfizer-comirnaty",
                                            "lotNumber": "FA1234", "siteName": "区役所", "clientRecordId": "walk-staff-1"]
            try await send(.post, "/v1/vaccinations", token: adminToken, body: staffDose, expect: 201)
            try await send(.post, "/v1/vaccinations", token: adminToken, body: staffDose, expect: 201)
            try await send(.post, "/v1/vaccinations", token: adminToken,
                           body: ["couponCode": couponCode(999), "vaccinatedOn": "2024-10-01", "product": "pfizer-comirnaty", "lotNumber": "FA1234"], expect: 201)
            try await send(.post, "/v1/vaccinations", token: adminToken,
                           body: staffDose.merging(["couponCode": couponCode(1, municipality: "011002"), "clientRecordId": "walk-staff-2"]) { $1 }, expect: 422)
            try await send(.post, "/v1/vaccinations", token: adminToken,
                           body: staffDose.merging(["product": "no-such-vaccine", "clientRecordId": "walk-staff-3"]) { $1 }, expect: 422)
            try await send(.post, "/v1/vaccinations", token: opToken, body: staffDose, expect: 403)
            let tablet = device["token"] as? String
            let tabletDose: [String: Any] = ["couponCode": couponCode(2), "vaccinatedOn": "2024-10-01", "product": "pfizer-comirnaty",
                                             "lotNumber": "FA1234", "siteName": "幕張メッセ", "doctorName": "医師 一郎", "clientRecordId": "walk-tablet-1"]
            try await send(.post, "/v1/tablet/vaccinations", token: tablet, body: tabletDose, on: .public, expect: 201)
            try await send(.post, "/v1/tablet/vaccinations", token: tablet, body: tabletDose, on: .public, expect: 201)
            try await send(.post, "/v1/tablet/vaccinations", token: tablet,
                           body: tabletDose.merging(["couponCode": couponCode(777), "clientRecordId": "walk-tablet-2"]) { $1 }, on: .public, expect: 201)
            try await send(.post, "/v1/tablet/vaccinations", token: nil, body: tabletDose, on: .public, expect: 401)
            try await send(.post, "/v1/tablet/vaccinations", token: adminToken, body: tabletDose, on: .public, expect: 401)
            try await send(.post, "/v1/tablet/vaccinations", token: tablet,
                           body: tabletDose.merging(["couponCode": couponCode(2, municipality: "131017")]) { $1 }, on: .public, expect: 422)
            try await send(.post, "/v1/tablet/vaccinations", token: tablet,
                           body: tabletDose.filter { $0.key != "clientRecordId" }, on: .public, expect: 422)
            try await send(.post, "/v1/tablet/vaccinations", token: tablet,
                           body: tabletDose.merging(["lotNumber": String(repeating: "x", count: 10_000)]) { $1 }, on: .public, expect: 413)
            let doses = "coupon_code,vaccinated_on,product,lot_number,site_name,doctor_name\r\n"
            try await upload("/v1/vaccinations/import", doses + "\(couponCode(2, dose: 2)),2024-11-01,moderna-spikevax,MD5678,,\r\n",
                             token: adminToken, expect: 200)
            try await upload("/v1/vaccinations/import", doses + "\(couponCode(2, municipality: "011002")),2024-11-01,moderna-spikevax,MD5678,,\r\n",
                             token: adminToken, expect: 422)
            try await upload("/v1/vaccinations/import", doses, token: adminToken, contentType: "text/plain", expect: 415)
            try await exchange(.get, "/v1/persons/\(first)", token: adminToken, expect: 200)
            try await exchange(.get, "/v1/persons/\(secondID)", token: adminToken, expect: 200)
            try await exchange(.get, "/v1/vaccinations/pending", token: adminToken, expect: 200)
            try await exchange(.get, "/v1/vaccinations/pending?limit=1", token: adminToken, expect: 200)
            try await exchange(.get, "/v1/vaccinations/pending?limit=1001", token: adminToken, expect: 422)
            try await exchange(.get, "/v1/vaccinations/pending", token: opToken, expect: 403)
            try await exchange(.delete, "/v1/devices/\(device["deviceId"] as? String ?? "")", token: adminToken, expect: 204)
            // A revoked token: the door refuses it.
            try await send(.post, "/v1/tablet/vaccinations", token: tablet, body: tabletDose, on: .public, expect: 401)
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

/// The two listeners, as the contracts name them (tags and server URLs) and as the tests reach them.
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
    /// The listener's own document, as bundled (`Sources/VRSServer/Resources`).
    var file: String { self == .lgwan ? "openapi.yaml" : "openapi-public.yaml" }
    /// The one kind of bearer token the listener accepts.
    var securityScheme: String { self == .lgwan ? "session" : "device" }
    /// Fewer operations than this means routes went missing from the document.
    var minimumOperations: Int { self == .lgwan ? 30 : 5 }
    /// The reusable problem responses the document must have.
    var requiredResponses: [String] {
        switch self {
        case .lgwan:
            ["Unauthorized", "Forbidden", "PasswordChangeRequired", "NotFound", "Conflict", "ValidationFailed", "BadRequest",
             "UnsupportedMediaType", "ContentTooLarge", "NotReady", "InternalError", "BadIdempotencyKey", "ImportKeyReused",
             "FileTooLarge", "UnsupportedFileType", "FileRejected"]
        case .public:
            ["Unauthorized", "NotFound", "BadRequest", "UnsupportedMediaType", "ContentTooLarge", "DoseRefused", "NotReady", "InternalError"]
        }
    }
}

/// Both listeners' contracts.
struct Specs: Sendable {
    let lgwan: Spec
    let `public`: Spec

    static func load() throws -> Specs { Specs(lgwan: try Spec.load(.lgwan), public: try Spec.load(.public)) }

    subscript(_ listener: Listener) -> Spec { listener == .lgwan ? lgwan : self.public }
}

/// One listener's parsed contract.
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

    /// The document of `listener`'s routes.
    static func url(_ listener: Listener) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/VRSServer/Resources/\(listener.file)")
    }

    let listener: Listener
    let root: [String: Any]
    let operations: [Operation]

    static func load(_ listener: Listener) throws -> Spec {
        let file = Self.url(listener)
        let text = try String(contentsOf: file, encoding: .utf8)
        guard let root = try Yams.load(yaml: text) as? [String: Any] else { throw TestFailure("\(file.path) is not a YAML mapping") }
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
        return Spec(listener: listener, root: root,
                    operations: operations.sorted { ($0.path, $0.method.rawValue) < ($1.path, $1.method.rawValue) })
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

    /// Every key of every `properties` mapping anywhere in the document.
    func propertyNames() -> Set<String> {
        var names: Set<String> = []
        func walk(_ node: Any) {
            if let mapping = node as? [String: Any] {
                if let properties = mapping["properties"] as? [String: Any] { names.formUnion(properties.keys) }
                mapping.values.forEach(walk)
            } else if let list = node as? [Any] {
                list.forEach(walk)
            }
        }
        walk(root)
        return names
    }

    /// The operation serving `path` (a concrete path or a template) for `method`, as the router picks
    /// it: among the paths matching, the most literal ones (fewest parameters) win whatever their
    /// methods, so `GET /v1/persons/import` is not `GET /v1/persons/{personId}` (it gets 405).
    func operation(_ method: HTTPRequest.Method, _ path: String) -> Operation? {
        let segments = path.split(separator: "?")[0].split(separator: "/")
        func parameters(_ op: Operation) -> Int { zip(op.path.split(separator: "/"), segments).filter { $0.0 != $0.1 }.count }
        let matching = operations.filter { op in
            let template = op.path.split(separator: "/")
            guard template.count == segments.count else { return false }
            return zip(template, segments).allSatisfy { t, s in t == s || (t.hasPrefix("{") && t.hasSuffix("}")) }
        }
        guard let fewest = matching.map(parameters).min() else { return nil }
        return matching.first { $0.method == method && parameters($0) == fewest }
    }

    /// A template with its parameters filled in with plausible values.
    static func filled(_ template: String) -> String {
        let values = ["{code}": "131016", "{userId}": "nobody.here", "{deviceId}": UUID().uuidString.lowercased(),
                      "{personId}": UUID().uuidString.lowercased()]
        return values.reduce(template) { $0.replacingOccurrences(of: $1.key, with: $1.value) }
    }

    /// Mismatches between a response and what this listener's contract documents for it.
    func check(_ response: TestResponse, method: HTTPRequest.Method, path: String) -> [String] {
        let name = "\(method) \(path) on \(listener) → \(response.status.code)"
        guard let op = operation(method, path) else { return ["\(name): no such operation in \(listener.file)"] }
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
    /// errors), items, minItems, maxItems, uniqueItems, pattern, length, bounds and the date-time,
    /// date and uuid formats.
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
            if let min = schema["minItems"] as? Int, items.count < min { errors.append("\(location): fewer than \(min) items") }
            if let max = schema["maxItems"] as? Int, items.count > max { errors.append("\(location): more than \(max) items") }
            if schema["uniqueItems"] as? Bool == true, Set(items.map(\.description)).count != items.count {
                errors.append("\(location): items repeat")
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
            case "date" where text.range(of: #"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"#, options: .regularExpression) == nil:
                errors.append("\(location): \(text) is not a date")
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
