import VRSStore

/// Runs a command-line tool (psql, pg_dump, pgrep) and returns its exit status and combined output.
public func runTool(_ arguments: [String]) throws -> (status: Int32, output: String) {
    try ChildProcess.run(arguments)
}
