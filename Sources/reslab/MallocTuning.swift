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
/// resident without these settings and 207 MB with them when they came in;
/// since conv blocks keep half the tensors and release them early, 136 MB
/// either way. They stay for speed: without them `mlp-fashion`, whose
/// activations are about 128 KB, ran at 0.87× (its blocks came straight
/// from the system, page-faulted afresh, whenever malloc's moving threshold
/// sat below them).
enum MallocTuning {
    static func apply() {
        #if os(Linux)
        mallopt(M_MMAP_THRESHOLD, 16 << 20)
        mallopt(M_TRIM_THRESHOLD, 64 << 20)
        #endif
    }
}
