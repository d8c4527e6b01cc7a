import Foundation

/// Writes the seeds targets generate with the project's own writers (packs, adapters, reports,
/// objects) as DIR/<target>/gen-<name>; `make fuzz-seeds` commits them under Fuzz/corpus/.
/// Deterministic: fixed contents, authors and times.
enum SeedWriter {
    static func writeAll(to dir: String) throws {
        for t in FuzzTargets.all {
            let seeds = try t.seeds()
            if seeds.isEmpty { continue }
            let out = dir + "/" + t.name
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            for s in seeds {
                try s.bytes.write(to: URL(fileURLWithPath: out + "/gen-" + s.name))
                print("\(t.name)/gen-\(s.name)  \(s.bytes.count) bytes")
            }
        }
    }
}
