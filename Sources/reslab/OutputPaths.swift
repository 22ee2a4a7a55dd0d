import ArgumentParser
import Foundation

// Files a command writes when it ends (a checkpoint, charts) are checked
// when it starts: a long run must not be lost to a path that cannot be written.

/// Refuses `path` for `option` unless its directory exists and is writable
/// and the path itself, if it exists, is a regular file.
func checkOutputFile(_ path: String, option: String) throws {
    try checkNameable(path, option: option)
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
    try checkNameable(path, option: option)
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

/// Refuses an empty path, and one the system cannot name: a component
/// longer than `NAME_MAX` bytes, or the whole longer than `PATH_MAX`.
private func checkNameable(_ path: String, option: String) throws {
    guard !path.isEmpty else { throw ValidationError("\(option) needs a path (got an empty one)") }
    let tooLong = path.utf8.count >= Int(PATH_MAX) || path.split(separator: "/").contains { $0.utf8.count > Int(NAME_MAX) }
    guard !tooLong else {
        let shown = path.count > 60 ? path.prefix(60) + "…" : Substring(path)
        throw ValidationError("\(option) \(shown): longer than this system allows (\(NAME_MAX) bytes a name, \(PATH_MAX) in all)")
    }
}

private func isWritableDirectory(_ path: String) -> Bool {
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
        && FileManager.default.isWritableFile(atPath: path)
}
