import RunProtocol

/// The charts of ResLab's experiments, drawn from the same results the
/// commands print: training curves and gradient norms (`train`), Veit et
/// al.'s lesion figures 3, 5a and 5b (`lesion`) and path figure 6 (`paths`).
/// A twin pair's results give one series per network on the same axes.
public enum ExperimentCharts {
    /// Loss (log) and accuracy against step, training and validation (and
    /// the lesioned validation where it exists), for each net's snapshots.
    public static func training(_ runs: [[Snapshot]]) -> [NamedChart] {
        var loss: [Chart.Series] = [], accuracy: [Chart.Series] = []
        for snapshots in runs {
            let run = snapshots.last?.run
            func series(_ what: String, _ role: Chart.Role, _ value: (Snapshot) -> Float?) -> Chart.Series? {
                // A diverged run's NaN and infinite figures are left out: they have no place on an axis.
                let points = snapshots.compactMap { s in value(s).map { Chart.Point(x: Double(s.step), y: Double($0)) } }
                    .filter { $0.y.isFinite }
                let name = [run, what].compactMap { $0 }.joined(separator: " ")
                return points.isEmpty ? nil : Chart.Series(name: name, role: run == "plain" ? .plain : role, points: points)
            }
            loss += [series("train", .train, \.trainLoss), series("val", .validation, \.validationLoss)].compactMap { $0 }
            accuracy += [series("train", .train, \.trainAccuracy), series("val", .validation, \.validationAccuracy),
                         series("lesioned val", .lesioned, \.lesionedValidationAccuracy)].compactMap { $0 }
        }
        return [
            NamedChart(name: "train-loss", chart: Chart(title: "Loss", xLabel: "step", yLabel: "cross-entropy loss",
                                                       yScale: .log, series: loss)),
            NamedChart(name: "train-accuracy", chart: Chart(title: "Accuracy", xLabel: "step", yLabel: "accuracy",
                                                           series: accuracy, yRange: 0...1)),
        ]
    }

    /// ‖∂L/∂W‖ of every block at the first evaluation, the middle and the
    /// end of each net's run, on one log axis.
    public static func gradientNorms(_ runs: [[Snapshot]]) -> NamedChart {
        var series: [Chart.Series] = []
        for snapshots in runs {
            let measured = snapshots.filter { !$0.gradientNorms.isEmpty }
            guard let first = measured.first, let last = measured.last else { continue }
            let chosen = [first, measured[measured.count / 2], last].reduce(into: [Snapshot]()) { kept, snapshot in
                if !kept.contains(where: { $0.step == snapshot.step }) { kept.append(snapshot) }
            }
            for snapshot in chosen {
                let points = snapshot.gradientNorms.enumerated().map { Chart.Point(x: Double($0.offset + 1), y: Double($0.element)) }
                    .filter { $0.y.isFinite }
                let name = [snapshot.run, "step \(snapshot.step)"].compactMap { $0 }.joined(separator: " ")
                series.append(Chart.Series(name: name, role: snapshot.run == "plain" ? .plain : .residual, points: points))
            }
        }
        return NamedChart(name: "gradient-norms", chart: Chart(
            title: "Gradient norm per block", xLabel: "block (input to output)", yLabel: "‖∂L/∂W‖", yScale: .log, series: series))
    }

    /// Test accuracy with each block lesioned alone, and the intact network
    /// as a line (Veit et al. 2016, figure 3).
    public static func singleLesion(_ results: [SingleLesionResult]) -> NamedChart {
        var series: [Chart.Series] = []
        for result in results {
            let role: Chart.Role = result.run == "plain" ? .plain : .residual
            let prefix = result.run.map { $0 + " " } ?? ""
            let points = result.accuracy.enumerated().map { Chart.Point(x: Double($0.offset + 1), y: Double($0.element)) }
            series.append(Chart.Series(name: prefix + "block \(result.mode.rawValue)", role: role, points: points))
            let intact = [1, result.accuracy.count].map { Chart.Point(x: Double($0), y: Double(result.intact)) }
            series.append(Chart.Series(name: prefix + "intact", role: .reference, points: intact))
        }
        return NamedChart(name: "lesion-single", chart: Chart(
            title: "Deleting one block", xLabel: "lesioned block", yLabel: "test accuracy", series: series, yRange: 0...1))
    }

    /// Mean test accuracy with k random blocks deleted, ± one standard
    /// deviation over the samples (Veit et al., figure 5a).
    public static func kDeletion(_ results: [KDeletionResult]) -> NamedChart {
        let series = grouped(results, run: \.run).map { run, runs in
            Chart.Series(name: run ?? "deleted", role: run == "plain" ? .plain : .residual,
                         points: runs.map { Chart.Point(x: Double($0.k), y: Double($0.mean), error: Double($0.std)) })
        }
        return NamedChart(name: "lesion-k", chart: Chart(
            title: "Deleting k blocks at random", xLabel: "blocks deleted (k)", yLabel: "test accuracy", series: series, yRange: 0...1))
    }

    /// Test accuracy against Kendall's τ of the block order after random
    /// swaps, one point per reordering (Veit et al., figure 5b).
    public static func reorder(_ results: [ReorderResult]) -> NamedChart {
        let series = grouped(results, run: \.run).map { run, runs in
            Chart.Series(name: run ?? "reordered", role: run == "plain" ? .plain : .residual,
                         points: runs.map { Chart.Point(x: Double($0.kendallTau), y: Double($0.accuracy)) }, lines: false)
        }
        return NamedChart(name: "lesion-reorder", chart: Chart(
            title: "Reordering blocks", xLabel: "Kendall τ of the block order", yLabel: "test accuracy", series: series, yRange: 0...1))
    }

    /// Path-length distribution, gradient per path (log) and total gradient
    /// by length, with the lengths that carry 90 % of it shaded (Veit et al., figure 6).
    public static func paths(_ result: PathResult) -> [NamedChart] {
        func points(_ values: [Double]) -> [Chart.Point] { values.enumerated().map { Chart.Point(x: Double($0.offset), y: $0.element) } }
        let range = result.effectiveRange
        return [
            NamedChart(name: "paths-distribution", chart: Chart(
                title: "Paths of each length", xLabel: "path length (blocks on the path)", yLabel: "share of paths",
                series: [Chart.Series(name: "Binomial(\(result.blocks), ½)", role: .residual, points: points(result.distribution))])),
            NamedChart(name: "paths-gradient", chart: Chart(
                title: "Gradient per path", xLabel: "path length", yLabel: "‖∂L/∂x‖ of one path", yScale: .log,
                series: [Chart.Series(name: "one path", role: .residual, points: points(result.gradientPerPath))])),
            NamedChart(name: "paths-total", chart: Chart(
                title: "Total gradient by path length", xLabel: "path length", yLabel: "share of the total gradient",
                series: [Chart.Series(name: "all paths of a length", role: .residual, points: points(result.totalGradient))],
                bands: range.count == 2 ? [Chart.Band(label: "90 %: \(range[0])–\(range[1])", from: Double(range[0]), to: Double(range[1]))] : [])),
        ]
    }

    /// Results grouped by network, in the order the networks first appear.
    private static func grouped<T>(_ results: [T], run: (T) -> String?) -> [(String?, [T])] {
        var order: [String?] = []
        var groups: [String?: [T]] = [:]
        for result in results {
            let key = run(result)
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(result)
        }
        return order.map { ($0, groups[$0]!) }
    }
}
