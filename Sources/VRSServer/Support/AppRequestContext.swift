import Foundation
import Hummingbird
import Logging
import NIOCore
import PostgresNIO
import VRSDomain
import VRSStore

/// The request context of both listeners: who is calling (once authenticated) and from where.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by the authentication middleware; nil for anonymous requests.
    public var caller: Caller?
    /// The hash of the device token that authenticated this request, for doors that check it themselves.
    public var deviceTokenHash: Data?
    /// The peer's address, for the audit log.
    public let clientAddress: String?
    /// Request bodies larger than this are refused with 413 (set from configuration by middleware).
    public var maxUploadSize: Int = 1 << 20

    /// A context for a request arriving on a channel.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        clientAddress = source.channel.remoteAddress?.ipAddress
    }

    /// The request id Hummingbird put in the logger's metadata (also returned in problem documents).
    public var requestID: String { logger[metadataKey: "hb.request.id"]?.description ?? "" }
}
