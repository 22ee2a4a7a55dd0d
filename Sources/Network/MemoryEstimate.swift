import Foundation
import Kernels

/// How much memory training a network takes, estimated from its
/// specification before any of it is allocated, so that a network too large
/// for the machine is refused with a sentence instead of an abort.
extension ModelSpec {
    /// The learnable weights, counted from the architecture (norm parameters
    /// included), or nil if the count passes `Int.max`.
    public var parameterCount: Int? {
        let norms = norm == .none ? 0 : 2
        switch kind {
        case .dense:
            let perBlock = checkedSum([checkedProduct([width, width + 1], times: 2) ?? -1, norms * 2 * width])
            return checkedSum([checkedProduct([inputFeatures, 1], times: width) ?? -1, width, norms * width,
                               checkedProduct([blockCount], times: perBlock ?? -1) ?? -1,
                               checkedProduct([width + 1, classes]) ?? -1])
        case .conv:
            var terms = [checkedProduct([inputShape[0], 9, width]) ?? -1]
            var inputs = width
            for stage in 0..<3 {
                let outputs = width << stage
                for index in 0..<depth {
                    terms.append(checkedProduct([inputs, 9, outputs]) ?? -1)
                    terms.append(checkedProduct([outputs, 9, outputs]) ?? -1)
                    terms.append(norms * (inputs + outputs))
                    if index == 0 && stage > 0 { terms.append(checkedProduct([inputs, outputs]) ?? -1) }
                    inputs = outputs
                }
            }
            terms.append(norms * inputs)
            terms.append(checkedProduct([inputs + 1, classes]) ?? -1)
            return checkedSum(terms)
        }
    }

    /// About how many bytes a training step takes: the weights, their
    /// gradients and the optimizer's state, a weight and gradient copy for
    /// each extra shard, and the activations of a batch. Nil past `Int.max`.
    public func trainingBytes(batchSize: Int, shards: Int, optimizerCopies: Int) -> Int? {
        guard let parameters = parameterCount else { return nil }
        let weights = checkedProduct([parameters], times: 2 + optimizerCopies + 2 * max(0, shards - 1))
        let activations = checkedProduct([batchSize, activationFloatsPerSample])
        guard let weights, let activations, let floats = checkedSum([weights, activations]) else { return nil }
        return checkedProduct([floats], times: MemoryLayout<Float>.size)
    }

    /// Why training this network would not fit in this machine's memory, or
    /// nil if it fits. Call only on a specification without a `problem`.
    public func memoryProblem(batchSize: Int, shards: Int, optimizerCopies: Int) -> String? {
        let available = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        let needed = trainingBytes(batchSize: batchSize, shards: shards, optimizerCopies: optimizerCopies)
        if let needed, needed <= available / 4 * 3 { return nil }
        let gigabytes = { (bytes: Int) in String(format: "%.1f GB", Double(bytes) / 1e9) }
        return "this network needs about \(needed.map(gigabytes) ?? "more than \(Int.max) bytes") of memory to train "
            + "(\(parameterCount.map { "\($0) weights" } ?? "too many weights"), batch \(batchSize)); "
            + "this machine has \(gigabytes(available)). Use a smaller --width, --depth or --batch"
    }
}
