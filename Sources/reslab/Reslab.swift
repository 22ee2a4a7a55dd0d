import ArgumentParser

/// The `reslab` command: a residual-network laboratory.
@main
struct Reslab: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reslab",
        abstract: "Train a residual network on the CPU and see why skip connections work.",
        subcommands: [DashboardCommand.self, TrainCommand.self, LesionCommand.self, PathsCommand.self, BenchCommand.self,
                      ThemesCommand.self],
        defaultSubcommand: DashboardCommand.self)

    /// Sets the memory allocator up before any thread starts, then parses
    /// the arguments and runs the command.
    static func main() async {
        MallocTuning.apply()
        await main(nil)
    }
}
