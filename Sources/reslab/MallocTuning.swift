import CGlibc

/// Two settings of glibc's malloc, made once before any thread starts.
///
/// By default malloc serves blocks of 128 KB and more straight from the
/// system, but each time such a block is freed it raises that threshold to
/// the block's size (up to 32 MB) and lets every arena keep twice as much
/// (up to 64 MB) of freed memory for itself. Reading a dataset frees
/// buffers of tens of MB, so from then on the next large buffers stayed in
/// whichever thread's arena freed them. Fixing the thresholds sends blocks
/// of 16 MB and more (a dataset's file and its inflated bytes) back to the
/// system when freed, while a training step's tensors, all smaller, are
/// still reused from the arena, which keeps up to 64 MB free for them.
///
/// `reslab train --dataset fashion-mnist --model conv --steps 300
/// --eval-every 100`, with the engine on its own thread: a peak of 231 MB
/// resident without these settings, 207 MB with them, at the same speed.
enum MallocTuning {
    static func apply() {
        #if os(Linux)
        mallopt(M_MMAP_THRESHOLD, 16 << 20)
        mallopt(M_TRIM_THRESHOLD, 64 << 20)
        #endif
    }
}
