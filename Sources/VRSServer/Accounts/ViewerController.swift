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

    /// The answer: the initial password, shown once, and the scope (null for the nation).
    struct IssuedViewer: Encodable, Sendable {
        let userId: String
        let role: AccountRole
        let prefecture: Nullable<String>
        let initialPassword: String
    }

    /// A JIS prefecture code, 01–47.
    static func isPrefecture(_ text: String) -> Bool {
        text.count == 2 && text.allSatisfy { $0.isASCII && $0.isNumber } && Int(text).map { (1...47).contains($0) } == true
    }

    /// A viewer in the list (`prefecture` null for the nation).
    struct ListedViewer: Encodable, Sendable {
        let userId: String
        let displayName: String
        let prefecture: Nullable<String>
        let locked: Bool
        let mustChangePassword: Bool
        let createdAt: Date
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
                ListedViewer(userId: $0.userID, displayName: $0.displayName, prefecture: Nullable($0.prefecture), locked: $0.locked,
                             mustChangePassword: $0.mustChangePassword, createdAt: $0.createdAt)
            }))
        }
    }

    private func create(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(as: NewViewer.self, context: context)
        let checked = NewUserRequest.checkIdentity(userId: body.userId, displayName: body.displayName)
        var errors = checked.errors
        let name = checked.displayName
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
            IssuedViewer(userId: body.userId, role: .viewer, prefecture: Nullable(body.prefecture), initialPassword: password), status: .created)
    }
}
