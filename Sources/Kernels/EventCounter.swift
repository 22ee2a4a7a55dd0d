import Foundation
import Synchronization

/// A counter that threads wait on until it reaches a value: they spin for a
/// moment, then sleep until it advances.
///
/// Spinning keeps back-to-back kernels fast: a waiting core sees the next
/// job within nanoseconds instead of a wake-up's tens of microseconds. But a
/// thread that only spins is a disaster on a busy machine: when the thread it
/// waits for has lost its core, it burns its own time slice, and the one it
/// waits for cannot run. So the spin is short, and then the waiter blocks on
/// a condition variable, costing the other thread a wake-up, not a time slice.
public final class EventCounter: Sendable {
    private let value = Atomic<Int>(0)
    /// Waiters that have stopped spinning and may be asleep.
    private let sleepers = Atomic<Int>(0)
    private let condition = NSCondition()
    /// Spins before sleeping: about 20 µs on this machine, longer than the
    /// serial gap between two kernels of a training step.
    public static let spinLimit = 20_000
    /// Spins of an idle worker before it sleeps: about 200 µs, longer than
    /// the serial work between two training steps, so a running training
    /// loop does not pay a wake-up per step.
    public static let idleSpin = 200_000

    public init() {}

    /// The count now.
    public func load() -> Int { value.load(ordering: .sequentiallyConsistent) }

    /// Adds `amount` and wakes the waiters that sleep.
    public func advance(by amount: Int = 1) {
        value.add(amount, ordering: .sequentiallyConsistent)
        // Either a waiter registered as a sleeper before this load, and is
        // woken below (it holds the lock until it waits), or it registers
        // after it and then sees the new value before it sleeps.
        if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
            condition.lock()
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Waits until `reached(count)` holds, and returns that count.
    @discardableResult
    public func wait(spins: Int = spinLimit, until reached: (Int) -> Bool) -> Int {
        for _ in 0..<spins {
            let current = load()
            if reached(current) { return current }
        }

        condition.lock()
        defer { condition.unlock() }
        sleepers.add(1, ordering: .sequentiallyConsistent)
        defer { sleepers.subtract(1, ordering: .sequentiallyConsistent) }
        while true {
            let current = load()
            if reached(current) { return current }
            condition.wait()
        }
    }
}
