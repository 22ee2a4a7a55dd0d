import Foundation
import Testing

/// The Python the tests run: `RESLAB_PYTHON` if set, else the virtual
/// environment `.ci/run` makes (`~/.cache/reslab-venv`) if it is there, else
/// nil, for `python3` on the path.
public var testPython: String? {
    if let chosen = ProcessInfo.processInfo.environment["RESLAB_PYTHON"] { return chosen }
    let made = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/reslab-venv/bin/python").path
    return FileManager.default.isExecutableFile(atPath: made) ? made : nil
}

/// Runs a Python script of the repository's tests with `arguments`: the
/// interpreter `testPython`, or `python3`, with `environment` added to this
/// process's. Returns its status and what it printed on stdout and stderr.
public func runPython(_ arguments: [String], environment: [String: String] = [:]) async throws -> (status: Int32, output: String) {
    try await offPool { try runPythonBlocking(arguments, environment: environment) }
}

/// Stops the calling test at once, saying what is missing, unless the
/// tests' Python can import `modules`: without them a test would only fail
/// later, and less clearly (an end-to-end test by timing out).
public func requirePythonModules(_ modules: [String]) async throws {
    let (status, output) = try await runPython(["-c", "import " + modules.joined(separator: ", ")])
    let python = testPython ?? "python3"
    try #require(status == 0, """
        \(python) cannot import \(modules.joined(separator: ", ")): \(output.split(separator: "\n").last ?? ""). \
        Set RESLAB_PYTHON to the virtual environment that .ci/run makes.
        """)
}

private func runPythonBlocking(_ arguments: [String], environment: [String: String]) throws -> (status: Int32, output: String) {
    let python = testPython
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
