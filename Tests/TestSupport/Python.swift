import Foundation

/// Runs a Python script of the repository's tests with `arguments`: the
/// interpreter in `RESLAB_PYTHON` (the CI's virtual environment), or
/// `python3`, with `environment` added to this process's. Returns its
/// status and what it printed on stdout and stderr.
public func runPython(_ arguments: [String], environment: [String: String] = [:]) async throws -> (status: Int32, output: String) {
    try await offPool { try runPythonBlocking(arguments, environment: environment) }
}

private func runPythonBlocking(_ arguments: [String], environment: [String: String]) throws -> (status: Int32, output: String) {
    let python = ProcessInfo.processInfo.environment["RESLAB_PYTHON"]
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python ?? "/usr/bin/env")
    process.arguments = (python == nil ? ["python3"] : []) + arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, text)
}

/// The repository's root, found from this file's place in it.
public let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
