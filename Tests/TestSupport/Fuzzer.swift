import Foundation
import Testing

/// Seeded mutation fuzzing for the parsers of hostile files and lines.
///
/// Each case takes one of the valid seeds and mutates it a few times: bit
/// flips, bytes set to extremes, truncations, insertions, repeated ranges,
/// and, in text, numbers replaced by extremes (-1, 0, 2³¹, 2⁶³−1, 2⁶⁴,
/// 1e300) and names duplicated. The parser must accept the input or throw;
/// a trap ends the test process, and an input that takes more than a second
/// is recorded as a failure.
///
/// `RESLAB_FUZZ_CASES` sets the cases per parser (2000 by default; for a
/// long run by hand, `RESLAB_FUZZ_CASES=100000`).
public struct Fuzzer {
    /// Cases per parser.
    public static var cases: Int {
        Int(ProcessInfo.processInfo.environment["RESLAB_FUZZ_CASES"] ?? "").map { max(1, $0) } ?? 2000
    }

    private var state: UInt64

    public init(seed: UInt64) { state = seed | 1 }

    /// xorshift64*: small, seeded and the same everywhere.
    public mutating func next(below bound: Int) -> Int {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return Int((state &* 2_685_821_657_736_338_717) >> 1) % max(bound, 1)
    }

    static let extremes = ["-1", "0", "2147483648", "4294967295", "9223372036854775807", "18446744073709551616", "1e300", "-9223372036854775808"]

    /// `seed` changed in one to eight places.
    public mutating func mutate(_ seed: [UInt8]) -> [UInt8] {
        var bytes = seed
        for _ in 0...next(below: 8) {
            let at = next(below: max(bytes.count, 1))
            switch next(below: 8) {
            case 0 where !bytes.isEmpty: bytes[at] ^= 1 << UInt8(next(below: 8))
            case 1 where !bytes.isEmpty: bytes[at] = [0, 0x7F, 0x80, 0xFF][next(below: 4)]
            case 2: bytes = Array(bytes.prefix(at))
            case 3: bytes.insert(UInt8(next(below: 256)), at: min(at, bytes.count))
            case 4 where !bytes.isEmpty:
                let length = min(1 + next(below: 64), bytes.count - at)
                bytes.insert(contentsOf: bytes[at..<at + length], at: at)
            case 5: replaceNumber(in: &bytes)
            case 6: duplicateQuoted(in: &bytes)
            default: if !bytes.isEmpty { bytes.remove(at: at) }
            }
        }
        return bytes
    }

    /// Replaces one run of ASCII digits with an extreme value.
    private mutating func replaceNumber(in bytes: inout [UInt8]) {
        let digits = bytes.indices.filter { (0x30...0x39).contains(bytes[$0]) && ($0 == 0 || !(0x30...0x39).contains(bytes[$0 - 1])) }
        guard !digits.isEmpty else { return }
        let start = digits[next(below: digits.count)]
        var end = start
        while end < bytes.count && (0x30...0x39).contains(bytes[end]) { end += 1 }
        bytes.replaceSubrange(start..<end, with: Array(Self.extremes[next(below: Self.extremes.count)].utf8))
    }

    /// Copies one quoted string (a JSON name or value) next to itself, so
    /// that names repeat and lists grow.
    private mutating func duplicateQuoted(in bytes: inout [UInt8]) {
        let quotes = bytes.indices.filter { bytes[$0] == 0x22 }
        guard quotes.count >= 2 else { return }
        let pair = next(below: quotes.count / 2) * 2
        let range = quotes[pair]...quotes[pair + 1]
        bytes.insert(contentsOf: Array(bytes[range]) + Array(",".utf8), at: range.lowerBound)
    }

    /// Runs `parse` on `Fuzzer.cases` mutations of `seeds`; `parse` throws
    /// for a refused input, an error that `isTyped` must recognise (the
    /// parser's own error, with its one-line message). Records any other
    /// error and any input that takes over a second. Returns how many inputs
    /// were accepted and refused, so a test can see that its seeds were valid.
    @discardableResult
    public static func run(seed: UInt64, seeds: [[UInt8]], isTyped: (any Error) -> Bool,
                           parse: ([UInt8]) throws -> Void) -> (accepted: Int, refused: Int) {
        var fuzzer = Fuzzer(seed: seed)
        var (accepted, refused) = (0, 0)
        let clock = ContinuousClock()
        for number in 0..<cases {
            let input = fuzzer.mutate(seeds[fuzzer.next(below: seeds.count)])
            let start = clock.now
            do {
                try parse(input)
                accepted += 1
            } catch {
                refused += 1
                if !isTyped(error) { Issue.record("case \(number): untyped error \(error)") }
            }
            let elapsed = clock.now - start
            if elapsed > .seconds(1) {
                Issue.record("case \(number) took \(elapsed): \(input.prefix(200))")
            }
        }
        return (accepted, refused)
    }
}
