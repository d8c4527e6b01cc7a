import ArgumentParser
import Foundation
import FTXCore
import FTXStore
import FTXRegistry

struct FsckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fsck",
        abstract: "Verify every object, pack, ref and reflog; exit 1 if anything is wrong.",
        discussion: reflow("""
        Each object is decompressed and rehashed; trees, commits, tags and chunk lists are parsed;
        everything reachable from refs, reflogs and the index must exist. Leftovers of interrupted
        commands (temporary files, stale locks) are warnings, not errors. In a lazy clone, objects
        left on the remote on purpose are listed as promised, not missing.

        Examples:
          ftx fsck
          ftx fsck --json
        """))
    @Flag(help: "Machine-readable output.") var json = false
    @Flag(name: .shortAndLong, help: "List every promised object.") var verbose = false

    func run() throws {
        let repo = try StoreCLI.repository()
        let r = repo.fsck()
        if json {
            try JSONOutput.emit(["errors": r.errors, "warnings": r.warnings, "promised": r.promised, "objects": r.objectsChecked,
                                "refs": r.refsChecked, "clean": r.isClean])
        } else {
            for e in r.errors { StoreCLI.out("error: \(e)") }
            for w in r.warnings { StoreCLI.out("warning: \(w)") }
            for p in r.promised.prefix(verbose ? Int.max : 5) { StoreCLI.out("promised: \(p)") }
            if !verbose && r.promised.count > 5 { StoreCLI.out("promised: … \(r.promised.count - 5) more (--verbose lists all)") }
            StoreCLI.out("checked \(r.objectsChecked) objects, \(r.refsChecked) refs: "
                         + (r.isClean ? "ok" : "\(r.errors.count) problem(s)")
                         + (r.promised.isEmpty ? "" : "; \(r.promised.count) promised object(s) not fetched yet (not an error)"))
        }
        if !r.isClean { throw ExitCode(1) }
    }
}

struct GCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Pack loose objects and prune unreachable ones older than a grace period.",
        discussion: reflow("""
        Everything reachable from HEAD, refs, reflogs and the index goes into one new pack
        (.ftx/packs/pack-<sha256>.pack + .idx); unreachable objects younger than the grace
        period are kept loose. Nothing is pruned while another ftx process that writes objects
        (add, commit, run, ...) is running: gc waits for it up to FTX_LOCK_TIMEOUT seconds (10),
        then packs without pruning. Commands that write objects wait while gc prunes.

        With --remote NAME, the same for a remote: packs that no ref of the remote reaches and
        that are older than the grace period are deleted (a concurrent push writes packs younger
        than that, so it is never disturbed).

        Examples:
          ftx gc                 prune unreachable objects older than 2 weeks
          ftx gc --prune=now     prune every unreachable object
          ftx gc --prune=3d
          ftx gc --remote origin --dry-run
        """))
    @Option(help: "Grace period: now, or N with s/m/h/d/w.") var prune: String = "2w"
    @Option(help: "Collect a remote's unreachable packs instead of the local store.") var remote: String?
    @Flag(help: "With --remote: list what would be deleted.") var dryRun = false
    @Flag(help: "With --remote: machine-readable output.") var json = false

    func run() throws {
        let grace = try Repository.parseGracePeriod(prune)
        if let name = remote {
            let r = try Registry.discover().remote(name).gc(gracePeriod: grace, dryRun: dryRun)
            if json {
                return try JSONOutput.emit(["deleted": r.deleted, "bytes_freed": r.bytesFreed, "kept": r.kept,
                                           "young": r.young, "dry_run": r.dryRun])
            }
            for d in r.deleted { StoreCLI.out("\(dryRun ? "would delete" : "deleted") \(d)") }
            StoreCLI.out("\(r.kept) pack(s) reachable, \(r.young) unreachable but younger than \(prune); "
                         + "\(dryRun ? "would free" : "freed") \(ProgressReporter.formatBytes(r.bytesFreed))")
            return
        }
        if dryRun || json { throw ValidationError("--dry-run and --json go with --remote") }
        let repo = try StoreCLI.repository()
        let r = try repo.gc(gracePeriod: grace)
        StoreCLI.out("packed \(r.packedObjects) objects, pruned \(r.prunedObjects), removed \(r.removedPacks) old pack(s)"
                     + (r.removedTemporaryFiles > 0 ? " and \(r.removedTemporaryFiles) temporary file(s)" : ""))
        if r.pruningSkipped {
            StoreCLI.err("note: another ftx process that writes objects is running; unreachable objects were kept "
                         + "(its new objects may not be recorded yet). Run gc again when it has finished.")
        }
    }
}

struct ReindexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reindex",
        abstract: "Rebuild .ftx/index.sqlite from the objects.",
        discussion: reflow("""
        index.sqlite is derived data for fast queries; deleting it loses nothing.

        Example:
          rm .ftx/index.sqlite && ftx reindex
        """))

    func run() throws {
        let repo = try StoreCLI.repository()
        let n = try Registry(repo: repo).reindex()  // store commits + run tables, one pass
        StoreCLI.out("indexed \(n) commits into \(repo.sqlitePath)")
    }
}
