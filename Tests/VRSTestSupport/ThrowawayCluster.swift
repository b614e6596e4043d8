import Foundation
import Logging
import VRSStore

/// The test run's own cluster under /tmp, with durability off, stopped and removed at process exit.
enum ThrowawayCluster {
    nonisolated(unsafe) static var running: EmbeddedCluster?

    static func start(logger: Logger) throws -> EmbeddedCluster {
        removeLeftovers()
        let cluster = EmbeddedCluster(
            directory: "/tmp/vrs-test-\(getpid())",
            extraSettings: ["fsync = off", "synchronous_commit = off", "full_page_writes = off", "max_connections = 300"],
            logger: logger)
        try cluster.start()
        running = cluster
        atexit {
            guard let cluster = ThrowawayCluster.running else { return }
            try? cluster.stop()
            try? FileManager.default.removeItem(atPath: cluster.directory)
        }
        return cluster
    }

    /// Clusters of earlier runs that died before their exit handler ran.
    private static func removeLeftovers() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []
        for name in names where name.hasPrefix("vrs-test-") {
            guard let pid = Int32(name.dropFirst("vrs-test-".count)), kill(pid, 0) != 0, pid != getpid() else { continue }
            let cluster = EmbeddedCluster(directory: "/tmp/" + name)
            try? cluster.stop()
            try? FileManager.default.removeItem(atPath: cluster.directory)
        }
    }
}
