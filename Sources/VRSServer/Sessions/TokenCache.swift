import Foundation
import Synchronization
import VRSStore

/// Token checks remembered for a few seconds, so that a signed-in request costs no database
/// round trip; dropped the moment the database says a token stopped working.
///
/// Entries are kept only while `RevocationListener` is subscribed to `vrs_revocation` (migration
/// 0011): a lock, a password change, a sign-out or a revoked tablet in any process drops them on
/// the notice. In this process a successful change (any LG-WAN request that is not GET or HEAD)
/// empties the cache before its answer leaves, so the caller's own next request is checked anew.
/// An entry lives at most `lifetime`, which also keeps the session's last-use time within that of
/// the truth, and never past the session's own expiry.
final class TokenCache: Sendable {
    struct Entry: Sendable {
        let caller: Caller
        let checkedAt: ContinuousClock.Instant
    }

    let lifetime: Duration
    // `generation` counts every removal: a check that began before one must not store its answer,
    // which may predate the revocation.
    private let state = Mutex<(enabled: Bool, generation: UInt64, entries: [Data: Entry])>((false, 0, [:]))

    /// A cache keeping entries for `lifetime` (zero: never keeps any).
    init(lifetime: Duration) { self.lifetime = lifetime }

    /// The caller for a token checked less than `lifetime` ago, if the cache is live.
    func caller(for tokenHash: Data, now: Date = Date()) -> Caller? {
        state.withLock { state -> Caller? in
            guard state.enabled, let entry = state.entries[tokenHash] else { return nil }
            if entry.checkedAt.duration(to: .now) > lifetime { state.entries[tokenHash] = nil; return nil }
            if case .user(let user) = entry.caller, user.expiresAt <= now { state.entries[tokenHash] = nil; return nil }
            return entry.caller
        }
    }

    /// The current generation; pass it to `remember` after the database check it preceded.
    var generation: UInt64 { state.withLock { $0.generation } }

    /// Remembers a token the database accepted in a check that started at `generation`.
    func remember(_ caller: Caller, for tokenHash: Data, checkedSince generation: UInt64) {
        guard lifetime > .zero else { return }
        state.withLock { state in
            guard state.enabled, state.generation == generation else { return }
            if state.entries.count >= 100_000 { state.entries.removeAll() }   // a bound, not a policy
            state.entries[tokenHash] = Entry(caller: caller, checkedAt: .now)
        }
    }

    /// Starts or stops keeping entries (stopping empties the cache): entries are only safe while
    /// revocation notices can arrive.
    func setEnabled(_ enabled: Bool) {
        state.withLock { $0 = (enabled, $0.generation &+ 1, [:]) }
    }

    /// Forgets everything (after a change made by this process).
    func removeAll() {
        state.withLock { $0.entries.removeAll(); $0.generation &+= 1 }
    }

    /// Applies one `vrs_revocation` notice: `s:`/`d:` + hex token hash, or `u:` + user id.
    func revoke(notice: String) {
        let kind = notice.prefix(2)
        let value = String(notice.dropFirst(2))
        state.withLock { state in
            state.generation &+= 1
            switch kind {
            case "s:", "d:":
                if let hash = Data(hex: value) { state.entries[hash] = nil } else { state.entries.removeAll() }
            case "u:":
                state.entries = state.entries.filter { entry in
                    if case .user(let user) = entry.value.caller { return user.userID.lowercased() != value.lowercased() }
                    return true
                }
            default:
                state.entries.removeAll()   // a notice we do not understand: be safe
            }
        }
    }

    /// Number of entries (for tests).
    var count: Int { state.withLock { $0.entries.count } }
}

extension Data {
    /// Bytes from lower- or upper-case hex; nil for anything else.
    init?(hex: String) {
        guard hex.count.isMultiple(of: 2) else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(hex.count / 2)
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        self.init(bytes)
    }
}
