import Foundation

/// The fuzz executable. FTX_FUZZ_TARGET names the target to run; FTX_FUZZ_SEEDS=DIR instead writes
/// every target's generated seeds under DIR/<target>/ and exits.

let environment = ProcessInfo.processInfo.environment
if let dir = environment["FTX_FUZZ_SEEDS"] {
    do { try SeedWriter.writeAll(to: dir) } catch {
        FileHandle.standardError.write(Data("ftx-fuzz: writing seeds failed: \(error)\n".utf8))
        exit(1)
    }
    exit(0)
}
guard let name = environment["FTX_FUZZ_TARGET"], let target = FuzzTargets.all.first(where: { $0.name == name }) else {
    let names = FuzzTargets.all.map(\.name).joined(separator: " ")
    FileHandle.standardError.write(Data("ftx-fuzz: set FTX_FUZZ_TARGET to one of: \(names)\n".utf8))
    exit(2)
}
selected = target
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzerTestOneInput))
