import ArgumentParser
import VRSStore

/// `vrs inquiries guard`: the transfer-inquiry abuse guard's settings.
struct InquiriesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inquiries", abstract: "Settings of transfer inquiries.", subcommands: [Guard.self])

    /// `vrs inquiries guard [--per-minute N] [--window-minutes M] [--min-inquiries K] [--max-not-found-ratio R]`.
    struct Guard: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show or set the rate limit and the not-found lock of transfer inquiries (all municipalities).")
        @OptionGroup var store: StoreOptions
        @Option(help: "Single inquiries a user may make in a minute (1–10000).") var perMinute: Int?
        @Option(help: "Minutes over which the not-found share is counted (1–43200).") var windowMinutes: Int?
        @Option(help: "Answers in the window before the share counts (1–100000).") var minInquiries: Int?
        @Option(help: "Not-found share past which a user is locked (0 < r ≤ 1).") var maxNotFoundRatio: Double?

        func validate() throws {
            if let v = perMinute, !(1...10_000).contains(v) { throw ValidationError("--per-minute must be 1…10000") }
            if let v = windowMinutes, !(1...43_200).contains(v) { throw ValidationError("--window-minutes must be 1…43200") }
            if let v = minInquiries, !(1...100_000).contains(v) { throw ValidationError("--min-inquiries must be 1…100000") }
            if let v = maxNotFoundRatio, !(v > 0 && v <= 1) { throw ValidationError("--max-not-found-ratio must be in (0, 1]") }
        }

        func run() async throws {
            let runtime = try Runtime(store)
            let changes = perMinute != nil || windowMinutes != nil || minInquiries != nil || maxNotFoundRatio != nil
            let (perMinute, windowMinutes, minInquiries, maxNotFoundRatio) = (perMinute, windowMinutes, minInquiries, maxNotFoundRatio)
            let settings = try await runtime.withStore { _, admin in
                guard let admin else { throw ValidationError("this needs VRS_ADMIN_DATABASE_URL (the host's connection)") }
                return try await InquiryGuardSettings.update(changes ? { settings in
                    if let perMinute { settings.perMinute = perMinute }
                    if let windowMinutes { settings.windowMinutes = windowMinutes }
                    if let minInquiries { settings.minInquiries = minInquiries }
                    if let maxNotFoundRatio { settings.maxNotFoundRatio = maxNotFoundRatio }
                } : nil, admin: admin, logger: runtime.logger)
            }
            print(settings)
        }
    }
}
