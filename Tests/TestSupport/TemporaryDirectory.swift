import Foundation

/// Runs `body` with a new, empty directory under the system's temporary
/// directory, then removes the directory and everything in it, whether
/// `body` returns or throws: tests leave nothing behind in `/tmp`.
public func withTemporaryDirectory<Result>(_ body: (URL) throws -> Result) throws -> Result {
    let directory = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory)
}

/// The same for a test that awaits.
public func withTemporaryDirectory<Result>(isolation: isolated (any Actor)? = #isolation,
                                           _ body: (URL) async throws -> Result) async throws -> Result {
    let directory = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    return try await body(directory)
}

private func makeTemporaryDirectory() throws -> URL {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reslab-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory
}
