import Foundation
import Hummingbird
import VRSDomain
import VRSStore

/// `POST /v1/viewers` (operator): a prefectural or national viewer of the statistics. Its
/// database role reads nothing but the statistics door; every other route answers it 403.
struct ViewerController: Sendable {
    let database: Database
    let hasher: PasswordHasher

    /// The body: a user ID, a display name, and the prefecture code of its scope (absent or null: the nation).
    struct NewViewer: Decodable, Sendable {
        let userId: String
        let displayName: String
        let prefecture: String?
    }

    /// The answer: the initial password, shown once, and the scope.
    struct IssuedViewer: Encodable, Sendable {
        let userId: String
        let role: AccountRole
        let prefecture: String?
        let initialPassword: String

        enum CodingKeys: String, CodingKey { case userId, role, prefecture, initialPassword }

        /// `prefecture` is written as null for the nation (the contract requires the member).
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(userId, forKey: .userId)
            try container.encode(role, forKey: .role)
            try container.encode(prefecture, forKey: .prefecture)
            try container.encode(initialPassword, forKey: .initialPassword)
        }
    }

    /// A JIS prefecture code, 01–47.
    static func isPrefecture(_ text: String) -> Bool {
        text.count == 2 && text.allSatisfy { $0.isASCII && $0.isNumber } && Int(text).map { (1...47).contains($0) } == true
    }

    /// A viewer in the list (`prefecture` null for the nation).
    struct ListedViewer: Encodable, Sendable {
        let userId: String
        let displayName: String
        let prefecture: String?
        let locked: Bool
        let mustChangePassword: Bool
        let createdAt: Date

        enum CodingKeys: String, CodingKey { case userId, displayName, prefecture, locked, mustChangePassword, createdAt }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(userId, forKey: .userId)
            try container.encode(displayName, forKey: .displayName)
            try container.encode(prefecture, forKey: .prefecture)
            try container.encode(locked, forKey: .locked)
            try container.encode(mustChangePassword, forKey: .mustChangePassword)
            try container.encode(createdAt, forKey: .createdAt)
        }
    }

    func addRoutes(to router: Router<AppRequestContext>) {
        let operators = router.group("v1/viewers").add(middleware: RequireRole(roles: [.operator]))
        operators.post { request, context in try await create(request, context) }
        operators.get { _, context in
            let viewers = try await database.transaction(for: context) { connection in
                try await AccountRepository(logger: context.logger).viewers(on: connection)
            }
            struct List: Encodable { let viewers: [ListedViewer] }
            return try JSONEncoder.response(List(viewers: viewers.map {
                ListedViewer(userId: $0.userID, displayName: $0.displayName, prefecture: $0.prefecture, locked: $0.locked,
                             mustChangePassword: $0.mustChangePassword, createdAt: $0.createdAt)
            }))
        }
    }

    private func create(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(as: NewViewer.self, context: context)
        var errors: [Problem.FieldError] = []
        if !AccountID.isWellFormed(body.userId) {
            errors.append(.init(field: "userId", code: "format", message: "3–64 letters, digits or . _ @ -, starting with a letter or digit"))
        }
        let name = body.displayName.trimmingCharacters(in: .whitespacesAndNewlines)
        if name.isEmpty || name.unicodeScalars.count > 100 {
            errors.append(.init(field: "displayName", code: "length", message: "must be 1–100 characters"))
        }
        if let prefecture = body.prefecture, !Self.isPrefecture(prefecture) {
            errors.append(.init(field: "prefecture", code: "malformed", message: "must be a prefecture code, 01 to 47, or null for the nation"))
        }
        guard errors.isEmpty else { throw AppError.invalid(errors) }
        let (password, hash) = await hasher.oneTimePassword()
        let trace = try context.doorTrace()
        do {
            try await database.transaction(for: context) { connection in
                try await AccountRequestRepository(logger: context.logger).createViewer(
                    body.userId, displayName: name, prefecture: body.prefecture, passwordHash: hash, trace: trace, on: connection)
            }
        } catch StoreError.duplicate {
            throw UserController.taken
        }
        return try JSONEncoder.response(
            IssuedViewer(userId: body.userId, role: .viewer, prefecture: body.prefecture, initialPassword: password), status: .created)
    }
}
