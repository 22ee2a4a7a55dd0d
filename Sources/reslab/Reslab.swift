import ArgumentParser
import Foundation

/// The `reslab` command: a residual-network laboratory.
@main
struct Reslab: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reslab",
        abstract: "Train a residual network on the CPU and see why skip connections work.",
        subcommands: [DashboardCommand.self, TrainCommand.self, ServeCommand.self, LesionCommand.self, PathsCommand.self,
                      InspectCommand.self, BenchCommand.self, ThemesCommand.self],
        defaultSubcommand: DashboardCommand.self)

    /// Parses the arguments and runs the command. A peer that goes away (a
    /// closed pipe or socket) makes writes fail, not the process die.
    static func main() async {
        signal(SIGPIPE, SIG_IGN)
        await main(nil)
    }
}
