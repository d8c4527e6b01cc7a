import Foundation

extension ReportDiff {
    /// The conclusions of a diff, kept apart because they answer different questions:
    /// - did B regress against A? (a regression gate failed — only when the suites are comparable)
    /// - does B pass its own gates? (threshold gates on B alone, whatever A is)
    /// - did B improve on A? (a comparable metric significantly better and none significantly worse)
    public struct Verdict: Codable, Equatable {
        public var comparable: Bool
        public var regressedVsA: Bool
        public var ownGatesFailed: Bool
        /// The threshold gates of B that failed.
        public var failedOwnGates: [String]
        /// Whether B declares threshold gates at all (else nothing is said about them).
        public var hasOwnGates: Bool
        public var improved: Bool
        /// Comparable metrics significantly better / worse in B.
        public var better: [String]
        public var worse: [String]
        /// One line: "B REGRESSED against A (…)" / "no regression against A; B improved (…)" /
        /// "not comparable: …", then "; B fails its own gates: …" or "; B passes its own gates".
        public var summary: String

        enum CodingKeys: String, CodingKey {
            case comparable, regressedVsA = "regressed_vs_a", ownGatesFailed = "own_gates_failed"
            case failedOwnGates = "failed_own_gates", hasOwnGates = "has_own_gates", improved, better, worse, summary
        }

        init(suite: SuiteChanges, gates: [GateResult], metrics: [MetricDelta]) {
            comparable = suite.comparable
            let regressionFailures = gates.filter { $0.spec.isRegression && $0.status == .fail }
            regressedVsA = !regressionFailures.isEmpty
            let own = gates.filter { !$0.spec.isRegression }
            hasOwnGates = !own.isEmpty
            failedOwnGates = own.filter { $0.status == .fail }.map(\.gate)
            ownGatesFailed = !failedOwnGates.isEmpty
            better = metrics.filter { $0.direction == .better }.map(\.name)
            worse = metrics.filter { $0.direction == .worse }.map(\.name)
            improved = !better.isEmpty && worse.isEmpty

            var s: String
            if !comparable {
                let keys = suite.changes.map(\.key).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
                s = "not comparable: the suite changed (\(keys.joined(separator: ", "))), so no regression is judged"
            } else if regressedVsA {
                s = "B REGRESSED against A (" + regressionFailures.map(\.detail).joined(separator: "; ") + ")"
            } else {
                s = "no regression against A"
                if improved { s += "; B improved (\(better.joined(separator: ", ")))" }
                else if !worse.isEmpty { s += "; B is significantly worse on \(worse.joined(separator: ", ")) (within what the regression gates allow)" }
            }
            if ownGatesFailed { s += "; B fails its own gates: " + failedOwnGates.joined(separator: ", ") }
            else if hasOwnGates { s += "; B passes its own gates" }
            summary = s
        }
    }
}
