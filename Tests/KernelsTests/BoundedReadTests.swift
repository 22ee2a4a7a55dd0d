import Foundation
import Kernels
import SystemErrors
import Testing

/// `readFile` reads a whole file, never more than its limit, and says why
/// in the system's words when it cannot.
struct BoundedReadTests {
    @Test func aFileWithinTheLimitIsReadWhole() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bounded-\(UUID()).bin")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data([1, 2, 3, 4]).write(to: url)
        #expect(try readFile(url, atMost: 4) == [1, 2, 3, 4])
        #expect(throws: BoundedReadError.tooLarge(limit: 3)) { try readFile(url, atMost: 3) }
    }

    @Test func aDeviceThatNeverEndsStopsAtTheLimit() {
        #expect(throws: BoundedReadError.tooLarge(limit: 1 << 10)) {
            try readFile(URL(fileURLWithPath: "/dev/zero"), atMost: 1 << 10)
        }
    }

    @Test func aMissingFileAndADirectoryAreNamedAsSuch() {
        #expect(throws: BoundedReadError.unreadable("No such file or directory")) {
            try readFile(URL(fileURLWithPath: "/nonexistent/reslab-file"), atMost: 10)
        }
        #expect(throws: BoundedReadError.unreadable("Is a directory")) {
            try readFile(FileManager.default.temporaryDirectory, atMost: 10)
        }
    }
}

/// File errors are told in the system's words, whichever form Foundation gave them.
struct SystemReasonTests {
    @Test func posixAndFoundationFileErrorsReadAlike() {
        #expect(systemReason(POSIXError(.ENOENT)) == "No such file or directory")
        #expect(systemReason(CocoaError(.fileNoSuchFile)) == "No such file or directory")
        #expect(systemReason(CocoaError(.fileWriteNoPermission)) == "Permission denied")
        #expect(systemReason(CocoaError(.fileWriteOutOfSpace)) == "No space left on device")
    }
}
