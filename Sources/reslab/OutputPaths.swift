import ArgumentParser
import Foundation

// Files a command writes when it ends (a checkpoint, charts) are checked
// when it starts: a long run must not be lost to a path that cannot be written.

/// Refuses `path` for `option` unless its directory exists and is writable
/// and the path itself, if it exists, is a regular file.
func checkOutputFile(_ path: String, option: String) throws {
    let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
    guard isWritableDirectory(directory) else {
        throw ValidationError("\(option) \(path): the directory \(directory) does not exist or is not writable")
    }
    let attributes = try? FileManager.default.attributesOfItem(atPath: path)
    if let type = attributes?[.type] as? FileAttributeType, type != .typeRegular {
        throw ValidationError("\(option) \(path): it exists and is not a regular file")
    }
}

/// Refuses `path` for `option` unless it is a writable directory, or does
/// not exist yet and its nearest existing ancestor is one (it is created).
func checkOutputDirectory(_ path: String, option: String) throws {
    var existing = URL(fileURLWithPath: path).standardizedFileURL
    while !FileManager.default.fileExists(atPath: existing.path) && existing.path != "/" {
        existing.deleteLastPathComponent()
    }
    guard isWritableDirectory(existing.path) else {
        let problem = existing.path == URL(fileURLWithPath: path).standardizedFileURL.path
            ? "it is not a writable directory" : "\(existing.path) is not a writable directory"
        throw ValidationError("\(option) \(path): \(problem)")
    }
}

private func isWritableDirectory(_ path: String) -> Bool {
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
        && FileManager.default.isWritableFile(atPath: path)
}
