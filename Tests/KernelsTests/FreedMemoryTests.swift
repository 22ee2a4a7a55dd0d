#if canImport(Glibc)
import Glibc
import Kernels
import Testing

/// `releaseFreedMemory` gives the pages of freed heap chunks back to the
/// system: written, they are resident; freed and released, most are not.
struct FreedMemoryTests {
    /// Pages wholly inside `bytes` bytes at `start`, and how many of them are resident.
    private static func residentPages(at start: UnsafeMutableRawPointer, bytes: Int) -> (resident: Int, pages: Int) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let first = (Int(bitPattern: start) + page - 1) / page * page
        let last = (Int(bitPattern: start) + bytes) / page * page
        guard last > first else { return (0, 0) }
        let pages = (last - first) / page
        var residency = [UInt8](repeating: 0, count: pages)
        let status = mincore(UnsafeMutableRawPointer(bitPattern: first), last - first, &residency)
        #expect(status == 0)
        return (residency.count { $0 & 1 == 1 }, pages)
    }

    @Test func freedHeapPagesLeaveTheProcess() throws {
        // 24 MB in chunks well under glibc's mmap threshold, so they come
        // from the heap, written so that every page is resident; one more
        // chunk stays allocated after them, so that freeing them cannot
        // simply shrink the heap's top.
        let (chunkBytes, count) = (96 << 10, 256)
        let chunks = try (0...count).map { _ in try #require(malloc(chunkBytes)) }
        for chunk in chunks { memset(chunk, 1, chunkBytes) }
        // A chunk's first page holds malloc's bookkeeping once it is free;
        // the pages past it are what the call can give back.
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        func resident() -> (resident: Int, pages: Int) {
            chunks.dropLast().reduce((0, 0)) { total, chunk in
                let counted = Self.residentPages(at: chunk + page, bytes: chunkBytes - 2 * page)
                return (total.0 + counted.resident, total.1 + counted.pages)
            }
        }
        // Measured while the chunks are still in use: once they are freed,
        // another test's network changing passes may release them first.
        // Freed and left alone, they stay resident (all 5 377 pages, with
        // this call made a no-op).
        let before = resident()
        for chunk in chunks.dropLast() { free(chunk) }
        releaseFreedMemory()
        let after = resident()
        free(chunks[count])
        #expect(before.pages > 4000)
        #expect(Double(before.resident) > 0.9 * Double(before.pages))
        // Other tests running meanwhile may take and write some of the freed chunks again.
        #expect(Double(after.resident) < 0.5 * Double(after.pages), "\(after.resident) of \(after.pages) still resident")
    }
}
#endif
