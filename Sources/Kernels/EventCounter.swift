import Dispatch
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
    /// How long a waiter spins before it sleeps, adapted to how waits have
    /// been ending: on a quiet machine the awaited thread is running and
    /// arrives within microseconds, so waits end while spinning and the
    /// budget grows; on a busy one it has often lost its core, waits end in
    /// sleep, and the budget halves, down to a few microseconds.
    private let spinBudget = Atomic<Int>(EventCounter.longestSpin)
    /// Nanoseconds: the shortest and longest spins. The longest is longer
    /// than the serial work between two training steps, so a quiet training
    /// loop pays no wake-up per step.
    public static let shortestSpin = 10_000
    public static let longestSpin = 1_000_000

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

    /// Waits until `reached(count)` holds, and returns that count. It spins
    /// for `budget` nanoseconds if one is given (an idle worker sets its
    /// own; see `IdleSpin`), else as long as this counter's adaptive budget says.
    @discardableResult
    public func wait(spinningFor budget: Int? = nil, until reached: (Int) -> Bool) -> Int {
        let adaptive = budget == nil
        let budget = budget ?? spinBudget.load(ordering: .relaxed)
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(budget)
        var spins = 0
        while true {
            let current = load()
            if reached(current) {
                if adaptive && budget < Self.longestSpin {
                    spinBudget.store(min(Self.longestSpin, budget + budget / 8), ordering: .relaxed)
                }
                return current
            }
            spins += 1
            if spins % 256 == 0 && DispatchTime.now().uptimeNanoseconds > deadline { break }
        }
        if adaptive { spinBudget.store(max(Self.shortestSpin, budget / 2), ordering: .relaxed) }
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
