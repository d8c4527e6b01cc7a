import Foundation

/// Phase timings on stderr when FTX_DATA_TIMING=1 (for profiling the benchmark; silent otherwise).
final class PhaseTimer {
    private let enabled = ProcessInfo.processInfo.environment["FTX_DATA_TIMING"] == "1"
    private var last = Date()

    func mark(_ phase: String) {
        guard enabled else { return }
        let now = Date()
        FileHandle.standardError.write(Data(String(format: "[timing] %-22@ %.3f s\n", phase as NSString, now.timeIntervalSince(last)).utf8))
        last = now
    }
}
