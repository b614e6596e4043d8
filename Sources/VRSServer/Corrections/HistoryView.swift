import Foundation
import VRSStore

/// `GET /v1/persons/{id}/history`: the changes, oldest first, and the cursor of the next page.
struct HistoryView: Encodable {
    let changes: [ChangeView]
    let next: String?

    /// Encodes `next` as null on the last page: the client loops until it is.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(changes, forKey: .changes)
        try c.encode(next, forKey: .next)
    }
    enum CodingKeys: String, CodingKey { case changes, next }
}

/// One change: what, who, when, why, and each field's value before and after.
struct ChangeView: Encodable {
    let changeId: String
    let changedAt: Date
    let action: String
    let recordType: String
    let recordId: String
    let reason: JSONValue
    let actor: Actor
    let changes: [FieldChange]

    struct Actor: Encodable { let userId: JSONValue; let role: JSONValue }
    struct FieldChange: Encodable { let field: String; let old: JSONValue; let new: JSONValue }

    init(_ change: RecordChange) {
        changeId = String(change.changeID)
        changedAt = change.changedAt
        action = change.action
        recordType = change.recordType
        recordId = change.recordID.uuidString.lowercased()
        reason = change.reason.map(JSONValue.string) ?? .null
        actor = Actor(userId: change.actorID.map(JSONValue.string) ?? .null, role: change.actorRole.map(JSONValue.string) ?? .null)
        let old = JSONValue.object(from: change.oldValues)
        let new = JSONValue.object(from: change.newValues)
        changes = Set(old.keys).union(new.keys).sorted().map {
            FieldChange(field: Self.apiName($0), old: old[$0] ?? .null, new: new[$0] ?? .null)
        }
    }

    /// Column names as the API spells the same fields elsewhere.
    static func apiName(_ column: String) -> String {
        switch column {
        case "product_code": return "product"
        default:
            let parts = column.split(separator: "_")
            return parts.enumerated().map { $0.offset == 0 ? String($0.element) : $0.element.prefix(1).uppercased() + $0.element.dropFirst() }.joined()
        }
    }
}

/// Any JSON value, for the old and new values of the history, which differ by field.
enum JSONValue: Codable, Equatable, Sendable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let value = try? c.decode(Bool.self) { self = .bool(value) }
        else if let value = try? c.decode(Double.self) { self = .number(value) }
        else if let value = try? c.decode(String.self) { self = .string(value) }
        else if let value = try? c.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let value): try c.encode(value)
        case .number(let value): if value == value.rounded(), abs(value) < 1e15 { try c.encode(Int64(value)) } else { try c.encode(value) }
        case .string(let value): try c.encode(value)
        case .array(let value): try c.encode(value)
        case .object(let value): try c.encode(value)
        }
    }

    /// The members of a JSON object text; empty for anything else.
    static func object(from text: String) -> [String: JSONValue] {
        guard case .object(let members)? = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) else { return [:] }
        return members
    }
}
