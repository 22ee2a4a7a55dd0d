/// A residual network and its plain twin, trained side by side: the same
/// initial weights (the same seed builds the same network), the same batches
/// (the same sampler seed), each engine on its own core.
public struct TwinRun: Sendable {
    public let residual: Engine
    public let plain: Engine

    public init(configuration: RunConfiguration, policy: PublishPolicy, staysAfterTraining: Bool = false) throws {
        var residualConfiguration = configuration
        residualConfiguration.twin = false
        residualConfiguration.skip = true
        var plainConfiguration = configuration.plainTwin
        // One core each: the two engines run in parallel, their kernels single-threaded.
        if configuration.threads >= 2 {
            residualConfiguration.threads = 1
            plainConfiguration.threads = 1
        }
        // One origin for both clocks: the plain engine is built after the residual one has
        // loaded its data, and its events must still read on the same time line.
        let origin = ContinuousClock.now
        residual = try Engine(configuration: residualConfiguration, policy: policy, label: "residual",
                              staysAfterTraining: staysAfterTraining, origin: origin)
        plain = try Engine(configuration: plainConfiguration, policy: policy, label: "plain",
                           staysAfterTraining: staysAfterTraining, origin: origin)
    }

    public var engines: [Engine] { [residual, plain] }
}
