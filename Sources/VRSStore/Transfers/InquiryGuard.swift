import Logging
import PostgresNIO

/// The abuse guard's settings (`vrs.inquiry_guard`, migration 0013): the host's to set, read by
/// the transfer door on every inquiry.
public struct InquiryGuardSettings: Sendable, Equatable, CustomStringConvertible {
    /// Single inquiries a user may make in a minute.
    public var perMinute: Int
    /// The window over which the not-found share is counted, in minutes.
    public var windowMinutes: Int
    /// Answers in the window before the share counts at all.
    public var minInquiries: Int
    /// The not-found share past which the user is locked (0 < r ≤ 1).
    public var maxNotFoundRatio: Double

    /// Settings as given.
    public init(perMinute: Int, windowMinutes: Int, minInquiries: Int, maxNotFoundRatio: Double) {
        self.perMinute = perMinute
        self.windowMinutes = windowMinutes
        self.minInquiries = minInquiries
        self.maxNotFoundRatio = maxNotFoundRatio
    }

    public var description: String {
        "per_minute=\(perMinute) window_minutes=\(windowMinutes) min_inquiries=\(minInquiries) max_not_found_ratio=\(maxNotFoundRatio)"
    }

    /// Reads the settings, and with `change` writes them first, as the owner over the host's pool
    /// (no caller role may change them).
    public static func update(_ change: ((inout InquiryGuardSettings) -> Void)?, admin: PostgresClient, logger: Logger) async throws -> InquiryGuardSettings {
        try await admin.ownerTransaction(logger: logger) { connection in
            var settings: InquiryGuardSettings?
            let rows = try await connection.query(
                """
                SELECT per_minute, (extract(epoch FROM window_length) / 60)::int, min_inquiries, max_not_found_ratio::float8
                  FROM vrs.inquiry_guard FOR UPDATE
                """, logger: logger)
            for try await (rate, window, minimum, ratio) in rows.decode((Int, Int, Int, Double).self) {
                settings = InquiryGuardSettings(perMinute: rate, windowMinutes: window, minInquiries: minimum, maxNotFoundRatio: ratio)
            }
            guard var current = settings else { throw InquiryGuardMissing() }
            guard let change else { return current }
            change(&current)
            try await connection.query(
                """
                UPDATE vrs.inquiry_guard SET per_minute = \(current.perMinute), window_length = make_interval(mins => \(current.windowMinutes)::int),
                       min_inquiries = \(current.minInquiries), max_not_found_ratio = \(current.maxNotFoundRatio)
                """, logger: logger)
            return current
        }
    }
}

/// The guard's one row is missing: the database was altered behind the migrations' back.
public struct InquiryGuardMissing: Error, CustomStringConvertible {
    public var description: String { "vrs.inquiry_guard has no row: run vrs migrate, or restore it" }
}
