import Foundation

/// The system's own words for why a file operation failed ("No such file
/// or directory", "Permission denied"), from the errno an error carries or
/// the file error Foundation made of one; Foundation's description otherwise.
public func systemReason(_ error: any Error) -> String {
    let error = error as NSError
    for candidate in [error, error.userInfo[NSUnderlyingErrorKey] as? NSError].compactMap({ $0 })
    where candidate.domain == NSPOSIXErrorDomain {
        return String(cString: strerror(Int32(candidate.code)))
    }
    if let code = posixCode(of: CocoaError.Code(rawValue: error.code)), error.domain == NSCocoaErrorDomain {
        return String(cString: strerror(code))
    }
    return error.localizedDescription
}

/// The errno behind Foundation's commonest file errors.
private func posixCode(of code: CocoaError.Code) -> Int32? {
    switch code {
    case .fileNoSuchFile, .fileReadNoSuchFile: ENOENT
    case .fileReadNoPermission, .fileWriteNoPermission: EACCES
    case .fileWriteOutOfSpace: ENOSPC
    case .fileWriteVolumeReadOnly: EROFS
    default: nil
    }
}
