import AllocationCounter
import Testing
import Kernels

/// The round trip between two of the pool's threads, which tells the
/// optimizer how far apart their cores sit.
struct CorePlacementTests {
    @Test(.enabled(if: WorkerPool.shared.capacity >= 2))
    func measuresARoundTripBetweenTwoThreads() throws {
        let placement = CorePlacement(pool: .shared)
        #expect(placement.roundTrip == nil)
        #expect(!placement.coresSitFarApart)
        placement.refreshIfStale()
        let roundTrip = try #require(placement.roundTrip)
        // Even a busy machine hands a line over well within a second.
        #expect(roundTrip > 0 && roundTrip < 1_000_000_000)
        #expect(placement.coresSitFarApart == (roundTrip > CorePlacement.farApartRoundTrip))
    }

    /// The optimizer measures inside training steps, which allocate nothing.
    @Test(.enabled(if: WorkerPool.shared.capacity >= 2))
    func aMeasurementAllocatesNothingOnceWarm() {
        let placement = CorePlacement(pool: .shared)
        placement.measure()
        let before = reslab_thread_allocations()
        for _ in 0..<5 { placement.measure() }
        #expect(reslab_thread_allocations() - before == 0)
        #expect(placement.roundTrip != nil)
    }

    @Test func aPoolOfOneThreadMeasuresNothing() {
        let placement = CorePlacement(pool: WorkerPool(capacity: 1))
        placement.measure()
        #expect(placement.roundTrip == nil)
        #expect(!placement.coresSitFarApart)
    }
}
