import Foundation

/// The mean softmax cross-entropy of a batch, with its gradient.
public struct LossResult: Sendable {
    /// Mean over the batch of −log p(true class).
    public let loss: Float
    /// ∂loss/∂logits: (softmax − one-hot) / batch.
    public let gradient: Tensor
    /// How many samples have their true class as the largest logit.
    public let correct: Int
}

/// Softmax cross-entropy of `logits` `[batch, classes]` against integer labels,
/// computed stably by subtracting each row's maximum first. When `logits`
/// are one shard of a larger batch, `batchSize` is the whole batch's size:
/// the loss and gradient are then this shard's share of the whole batch's mean.
/// The gradient is written over the logits, in their storage.
public func softmaxCrossEntropy(logits: consuming Tensor, labels: [Int], batchSize: Int? = nil) -> LossResult {
    let (rows, classes) = (logits.shape[0], logits.shape[1])
    precondition(labels.count == rows, "\(labels.count) labels for a batch of \(rows)")
    let batch = batchSize ?? rows
    var gradient = logits
    var total: Double = 0
    var correct = 0
    for n in 0..<rows {
        let row = n * classes
        var largest = gradient.data[row], best = 0
        for j in 1..<classes where gradient.data[row + j] > largest {
            largest = gradient.data[row + j]
            best = j
        }
        if best == labels[n] { correct += 1 }
        let trueLogit = gradient.data[row + labels[n]]
        var sum: Float = 0
        for j in 0..<classes {
            let e = exp(gradient.data[row + j] - largest)
            gradient.data[row + j] = e
            sum += e
        }
        total += Double(log(sum) + largest - trueLogit)
        for j in 0..<classes {
            gradient.data[row + j] = (gradient.data[row + j] / sum - (j == labels[n] ? 1 : 0)) / Float(batch)
        }
    }
    return LossResult(loss: Float(total / Double(batch)), gradient: gradient, correct: correct)
}
