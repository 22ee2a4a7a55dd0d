import CGlibc

/// Subnormal floats, the ones below 1.2·10⁻³⁸ in magnitude, cost a hundred
/// times more than others: every instruction that meets one as an input or
/// makes one as a result goes through a microcode assist. A product of two
/// small gradients makes them easily. Measured on this machine: a 256×32×32
/// `sgemm` whose A holds values near 10⁻³⁹ took 796 µs instead of 3.6 µs.
/// Flushing them made `reslab bench`'s mlp-spiral step (30 blocks without
/// norm) 1.11× faster on one thread and 1.16× on two (medians of paired
/// rounds); the workloads with batch norm did not move beyond the noise.
///
/// A thread can instead read subnormal inputs as zero and write subnormal
/// results as zero (x86's DAZ and FTZ, arm64's FZ), which TensorFlow does by
/// default on CPUs and PyTorch's `torch.set_flush_denormal(True)` asks for.
/// A flushed value is off by less than 1.2·10⁻³⁸, far below the rounding
/// of every sum it enters.
///
/// The mode belongs to each thread, and it must be the same on every thread
/// that computes one result, or the bits would depend on which thread took
/// which part. So the worker pool's threads and the engine's thread flush
/// from their start, and `WorkerPool.withThreads` flushes the calling thread
/// while its body runs. Code that computes outside `withThreads` uses one
/// thread, its own, and keeps whatever mode that thread has.

/// Makes the calling thread flush subnormals to zero from now on: for the
/// threads that exist only to compute (the pool's workers, the engine's).
public func flushSubnormalsOnThisThread() {
    reslab_set_fp_control(reslab_subnormals_flushed(reslab_fp_control()))
}

/// Runs `body` with the calling thread flushing subnormals to zero, then
/// gives the thread back its own mode.
public func withSubnormalsFlushed<Result>(_ body: () throws -> Result) rethrows -> Result {
    let previous = reslab_fp_control()
    reslab_set_fp_control(reslab_subnormals_flushed(previous))
    defer { reslab_set_fp_control(previous) }
    return try body()
}
