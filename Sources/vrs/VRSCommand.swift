import ArgumentParser

/// The `vrs` command: the server and its administration.
@main
struct VRSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vrs",
        abstract: "Tenant-isolated vaccination record store for Japanese municipalities.",
        subcommands: [
            Serve.self, Migrate.self, DatabaseCommand.self, MunicipalityCommand.self, OperatorCommand.self, KeysCommand.self, AuditCommand.self, InquiriesCommand.self, StatisticsCommand.self,
            DevCommand.self,
        ]
    )
}
