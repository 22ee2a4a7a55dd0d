import CMalloc
import Foundation

/// How many memory arenas glibc's malloc may keep.
///
/// By default it gives threads arenas of their own, up to eight per core,
/// and an arena keeps what is freed in it for its own next requests. The
/// engine's steps run on whichever of Swift's threads is free at the time,
/// so over a run each of several arenas came to hold a training step's
/// worth of freed activations: `reslab train --dataset fashion-mnist --model
/// conv` peaked anywhere from 236 to 293 MB of resident memory. With one
/// arena per core it peaks at 197 MB, run after run, and trains as fast.
enum MallocArenas {
    /// Allows one arena per core. Arenas made before the call stay, so it
    /// must come before any thread starts.
    static func limitToCores() {
        #if os(Linux)
        mallopt(M_ARENA_MAX, Int32(ProcessInfo.processInfo.activeProcessorCount))
        #endif
    }
}
