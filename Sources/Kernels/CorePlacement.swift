import Dispatch
import Synchronization

/// Whether the cores that run two of the pool's threads sit near each
/// other or far apart, from how long a handoff between them takes.
///
/// A virtual machine's CPUs are placed by its host, and the placement can
/// change from one minute to the next. Near each other (two cores sharing
/// an L3 cache) a cache line goes from one core to the other and back in
/// 60–80 ns; far apart (two of the processor's core complexes) in
/// 320–360 ns. Far apart, every store to a line that the other core has
/// read waits that long for the other copy to be invalidated, which is
/// why the optimizer's update then stores its weights streaming
/// (`storeVectorStreaming`).
public final class CorePlacement: Sendable {
    /// The placement of `WorkerPool.shared`'s threads.
    public static let shared = CorePlacement(pool: .shared)

    /// Round trips slower than this are taken for cores far apart: halfway,
    /// on a log scale, between the two placements measured here.
    public static let farApartRoundTrip = 160
    /// How many round trips one measurement averages.
    static let roundTrips = 8
    /// Nanoseconds a measurement stays current: the host moves the CPUs
    /// over minutes, not milliseconds, and a measurement costs a few
    /// microseconds of both threads.
    static let measurementLifetime: UInt64 = 100_000_000

    private let pool: WorkerPool
    /// The counter the two threads hand back and forth.
    fileprivate let handoffs = EventCounter()
    /// Nanoseconds of the last measured round trip; 0 before the first.
    fileprivate let latestRoundTrip = Atomic<Int>(0)
    /// When the last measurement was taken, on the uptime clock.
    private let measuredAt = Atomic<UInt64>(0)
    /// Held through a measurement: two runs training at once share the counter.
    private let measuring = Mutex<Void>(())

    public init(pool: WorkerPool) {
        self.pool = pool
    }

    /// The last measured round trip between the two cores, in nanoseconds;
    /// nil before the first measurement.
    public var roundTrip: Int? {
        let nanoseconds = latestRoundTrip.load(ordering: .relaxed)
        return nanoseconds > 0 ? nanoseconds : nil
    }

    /// Whether the last measurement found the cores far apart.
    public var coresSitFarApart: Bool {
        roundTrip.map(Self.farApart) ?? false
    }

    /// Whether a round trip of `nanoseconds` means cores far apart.
    public static func farApart(roundTrip nanoseconds: Int) -> Bool {
        nanoseconds > farApartRoundTrip
    }

    /// Measures the round trip again if the last measurement is older than
    /// `measurementLifetime`. Runs a job on two threads: must not be called
    /// from inside a pool job, and does nothing on a pool of one thread.
    public func refreshIfStale() {
        guard isStale else { return }
        measuring.withLock { _ in if isStale { measureHoldingLock() } }
    }

    /// Times `roundTrips` handoffs there and back between two of the pool's
    /// threads, each on its own core, and keeps the mean.
    public func measure() {
        measuring.withLock { _ in measureHoldingLock() }
    }

    private var isStale: Bool {
        let last = measuredAt.load(ordering: .relaxed)
        return last == 0 || DispatchTime.now().uptimeNanoseconds - last >= Self.measurementLifetime
    }

    private func measureHoldingLock() {
        guard pool.capacity >= 2 else { return }
        pool.runShards(2, independent: false, RoundTripProbe(placement: self, start: handoffs.load()))
        measuredAt.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed)
    }
}

/// The two parts of a placement measurement: part 1 says it has arrived,
/// then each part advances `handoffs` in turn, from `start`, and part 0
/// times the turns. The clock starts only once both threads are running,
/// so a worker's wake-up is not counted.
private struct RoundTripProbe: ParallelWork {
    let placement: CorePlacement
    let start: Int

    func run(part: Int) {
        let handoffs = placement.handoffs, roundTrips = CorePlacement.roundTrips
        if part == 1 {
            handoffs.advance()
            for turn in 0..<roundTrips {
                handoffs.wait { $0 >= start + 2 * turn + 2 }
                handoffs.advance()
            }
        } else {
            handoffs.wait { $0 >= start + 1 }
            let began = DispatchTime.now().uptimeNanoseconds
            for turn in 0..<roundTrips {
                handoffs.advance()
                handoffs.wait { $0 >= start + 2 * turn + 3 }
            }
            let elapsed = DispatchTime.now().uptimeNanoseconds - began
            placement.latestRoundTrip.store(max(1, Int(elapsed) / roundTrips), ordering: .relaxed)
        }
    }
}
