import Logging
import PostgresNIO
import ServiceLifecycle
import VRSStore

/// Keeps one connection subscribed to `vrs_revocation` and applies each notice to the token
/// cache. While it is not subscribed (starting, connection lost, database down) the cache keeps
/// nothing, and every request is checked in the database.
public struct RevocationListener: Service {
    let database: Database
    let cache: TokenCache
    let logger: Logger

    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                // Waiting for a connection is not cancelled by a graceful shutdown by itself: with the
                // database gone, the pool would retry forever and keep `vrs serve` from exiting.
                try await cancelWhenGracefulShutdown {
                    try await database.client.withConnection { connection in
                        let notices = try await connection.listen("vrs_revocation")
                        cache.setEnabled(true)
                        defer { cache.setEnabled(false) }
                        for try await notice in notices.cancelOnGracefulShutdown() {
                            cache.revoke(notice: notice.payload)
                        }
                    }
                }
            } catch is CancellationError {
                break
            } catch where Task.isShuttingDownGracefully || Task.isCancelled {
                break
            } catch {
                cache.setEnabled(false)
                logger.warning("revocation notices interrupted; token checks go to the database until they are back",
                               metadata: ["error.type": "\(type(of: error))"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
        cache.setEnabled(false)
    }
}
