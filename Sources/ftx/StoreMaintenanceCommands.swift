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
        commands (temporary files, stale locks) are warnings, not errors.

        Examples:
          ftx fsck
          ftx fsck --json
        """))
    @Flag(help: "Machine-readable output.") var json = false

    func run() throws {
        let repo = try StoreCLI.repository()
        let r = repo.fsck()
        if json {
            try JSONOutput.emit(["errors": r.errors, "warnings": r.warnings, "objects": r.objectsChecked,
                                "refs": r.refsChecked, "clean": r.isClean])
        } else {
            for e in r.errors { StoreCLI.out("error: \(e)") }
            for w in r.warnings { StoreCLI.out("warning: \(w)") }
            StoreCLI.out("checked \(r.objectsChecked) objects, \(r.refsChecked) refs: "
                         + (r.isClean ? "ok" : "\(r.errors.count) problem(s)"))
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

        Examples:
          ftx gc                 prune unreachable objects older than 2 weeks
          ftx gc --prune=now     prune every unreachable object
          ftx gc --prune=3d
        """))
    @Option(help: "Grace period: now, or N with s/m/h/d/w.") var prune: String = "2w"

    func run() throws {
        let repo = try StoreCLI.repository()
        let grace = try Repository.parseGracePeriod(prune)
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
