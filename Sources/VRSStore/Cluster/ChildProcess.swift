import Foundation

/// Starts programs with posix_spawn and reaps them with waitpid.
///
/// Foundation's `Process` on Linux waits for a SIGCHLD notification that never comes in some hosts
/// (the Swift Testing runner among them), leaving `waitUntilExit()` hanging over a zombie; this does
/// the few things we need directly. `run` blocks its thread while the child runs: use it for short
/// administrative commands (initdb, pg_ctl, psql, pg_dump), never on a request path.
public enum ChildProcess {
    /// Runs `arguments` (looked up on PATH) to completion; returns the exit status and combined output.
    public static func run(_ arguments: [String], environment: [String: String]? = nil) throws -> (status: Int32, output: String) {
        let outputPath = NSTemporaryDirectory() + "/vrs-\(UUID().uuidString).out"
        defer { unlink(outputPath) }
        let pid = try spawn(arguments, outputPath: outputPath, environment: environment)
        let status = wait(pid)
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        return (status, output)
    }

    /// Starts `arguments` with standard output and error appended to `outputPath` (or inherited when nil).
    public static func spawn(_ arguments: [String], outputPath: String?, environment: [String: String]? = nil) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if let outputPath {
            posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_APPEND, 0o600)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let result = withCStrings(arguments) { argv in
            withCStrings(env) { envp in posix_spawnp(&pid, arguments[0], &actions, nil, argv, envp) }
        }
        guard result == 0 else {
            throw ConfigurationError("cannot start \(arguments[0]): \(String(cString: strerror(result)))")
        }
        return pid
    }

    /// Waits for a child and returns its exit status (128 + signal if a signal ended it).
    public static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        var pointers = strings.map { strdup($0) }
        pointers.append(nil)
        defer { pointers.forEach { free($0) } }
        return body(pointers)
    }
}
