/// The product of `factors` times `start`, or nil if a factor is negative or
/// the product passes `limit`: for sizes read from files and options, which
/// may lie. Every size a file or an option declares (tensor shapes, dataset
/// headers, network and batch sizes) is multiplied here, before anything is
/// allocated for it.
public func checkedProduct(_ factors: [Int], times start: Int = 1, atMost limit: Int = .max) -> Int? {
    guard start >= 0 else { return nil }
    var product = start
    for factor in factors {
        guard factor >= 0 else { return nil }
        let (value, overflow) = product.multipliedReportingOverflow(by: factor)
        if overflow || value > limit { return nil }
        product = value
    }
    return product <= limit ? product : nil
}

/// The sum of `terms`, or nil if it passes `limit` (or a term is negative).
public func checkedSum(_ terms: [Int], atMost limit: Int = .max) -> Int? {
    var sum = 0
    for term in terms {
        guard term >= 0 else { return nil }
        let (value, overflow) = sum.addingReportingOverflow(term)
        if overflow || value > limit { return nil }
        sum = value
    }
    return sum
}
