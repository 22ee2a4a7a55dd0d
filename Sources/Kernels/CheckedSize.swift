/// The product of `factors` times `start`, or nil if it passes `Int.max`:
/// for sizes read from files, which may lie.
public func checkedProduct(_ factors: [Int], times start: Int = 1) -> Int? {
    var product = start
    for factor in factors {
        let (value, overflow) = product.multipliedReportingOverflow(by: factor)
        if overflow { return nil }
        product = value
    }
    return product
}
