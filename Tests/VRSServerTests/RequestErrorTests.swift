import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import VRSServer
import VRSStore
import Hummingbird

/// Whatever a client sends, it gets a problem document, never an empty 500.
@Suite("Bad requests get problems")
struct RequestErrorTests {
    @Test func malformedWrongTypedOversizedAndMisroutedRequestsGetProblems() async throws {
        try await TestApp.run { app in
            func post(_ body: String, contentType: String = "application/json") async throws -> TestResponse {
                try await app.lgwan.execute(
                    uri: "/v1/sessions", method: .post, headers: [.contentType: contentType], body: ByteBuffer(string: body))
            }
            let malformed = try await post("{\"userId\": ")
            #expect(malformed.status == .badRequest && malformed.isProblem)
            let missing = try await post("{\"userId\": \"a\"}")
            #expect(missing.status == .unprocessableContent)
            #expect(try (missing.json()["errors"] as? [[String: Any]])?.first?["field"] as? String == "password")
            let wrongType = try await post("{\"userId\": 12, \"password\": \"x\"}")
            #expect(try (wrongType.json()["errors"] as? [[String: Any]])?.first?["field"] as? String == "userId")
            let form = try await post("userId=a", contentType: "application/x-www-form-urlencoded")
            #expect(form.status == .unsupportedMediaType && form.isProblem)
            let huge = try await post("{\"userId\": \"" + String(repeating: "x", count: 10_000) + "\", \"password\": \"x\"}")
            #expect(huge.status == .contentTooLarge && huge.isProblem, "\(huge.status) \(huge.text)")
            let nowhere = try await app.call(.get, "/v2/anything")
            #expect(nowhere.status == .notFound && nowhere.isProblem)
        }
    }

    @Test func aMalformedMunicipalityCodeNamesTheFieldAndChangesNothing() async throws {
        try await TestApp.run { app in
            let seed = try await app.account("op.one", .operator, in: nil)
            let token = try await app.signIn("op.one", seed: seed)
            let before = try await app.call(.get, "/v1/municipalities", token: token).text
            for (code, rule) in [("121003", "check_digit"), ("12a002", "non_digit"), ("130001", "not_a_tenant"), ("1210", "length")] {
                let response = try await app.call(.post, "/v1/municipalities", token: token, json: ["code": code])
                #expect(response.status == .unprocessableContent, "\(code)")
                let error = try (response.json()["errors"] as? [[String: Any]])?.first
                #expect(error?["field"] as? String == "code" && error?["code"] as? String == rule, "\(code): \(response.text)")
            }
            #expect(try await app.call(.post, "/v1/municipalities", token: token, json: ["code": "131016"]).status == .conflict)
            #expect(try await app.call(.get, "/v1/municipalities", token: token).text == before)
        }
    }
}

@Suite("NUL characters in text")
struct NULCharacterTests {
    @Test func aNULInAJSONStringOrAQueryValueIsA422NotA500() async throws {
        try await TestApp.run { app in
            try await app.account("a.staff", .staff, in: TestApp.a)
            let token = try await app.signIn("a.staff")
            let signIn = try await app.call(.post, "/v1/sessions", json: ["userId": "a.staff\u{0}", "password": "x\u{0}"])
            #expect(signIn.status == .unauthorized || signIn.status == .unprocessableContent, "\(signIn.status): \(signIn.text)")
            let search = try await app.call(.get, "/v1/persons?addressNumber=A%00B", token: token)
            #expect(search.status == .unprocessableContent, "\(search.text)")
            #expect(search.isProblem)
        }
    }
}

@Suite("Lengths counted as the database counts them")
struct CodePointLengthTests {
    @Test func aLabelOfFewCharactersButManyCodePointsIsA422NotA500() async throws {
        try await TestApp.run { app in
            try await app.account("a.admin", .admin, in: TestApp.a)
            let admin = try await app.signIn("a.admin")
            // 60 characters, 120 code points (e + combining acute): over the 100 the database allows.
            let label = String(repeating: "e\u{301}", count: 60)
            #expect(label.count == 60)
            let response = try await app.call(.post, "/v1/devices", token: admin, json: ["label": label])
            #expect(response.status == .unprocessableContent, "\(response.text)")
        }
    }
}
