import ArgumentParser
import Foundation
import FTXCore
import FTXRegistry

struct RunDeployCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Deploy a run's adapter to an environment, roll it back, or list deployments.",
        discussion: reflow("""
        Deploying moves refs/deploy/ENV to the commit (its reflog is the deployment history) and
        materializes the commit's adapter/ (PEFT + GGUF-LoRA files) into .ftx/deploy/ENV/ by an
        atomic directory swap: a reader sees the old adapter or the new one, never half of one.
        A commit whose gates failed is refused unless --force is given with --reason.

        Examples:
          ftx deploy HEAD --env prod
          ftx deploy HEAD~1 --env prod --force --reason "hotfix, eval flake"
          ftx deploy --rollback prod                 # back to prod@{1}
          ftx deploy --rollback prod --to prod@{3}
          ftx deploy prod@{1} --env prod             # the same, as a plain deploy
          ftx deploy --list --json
          ftx deploy --history prod
        """))

    @Argument(help: "The revision to deploy (commit, branch, tag, HEAD~N, ENV@{N}).")
    var revision: String?

    @Option(name: .long, help: "The environment (refs/deploy/ENV).")
    var env: String?

    @Flag(help: "Deploy even though the commit's gates failed (needs --reason).")
    var force = false

    @Option(help: "Why; recorded in the deploy reflog.")
    var reason: String?

    @Option(help: "Roll environment ENV back to its previous deployment (or --to REV).")
    var rollback: String?

    @Option(help: "With --rollback: the revision to return to (default ENV@{1}).")
    var to: String?

    @Flag(help: "List environments and what each runs.")
    var list = false

    @Option(help: "Show the deployment history (reflog) of an environment.")
    var history: String?

    @Flag(help: "Machine-readable output.")
    var json = false

    func run() throws {
        let registry = try Registry.discover()
        if list { return try printList(registry) }
        if let env = history { return try printHistory(registry, env: env) }
        let outcome: Registry.DeployOutcome
        if let env = rollback {
            if revision != nil { throw ValidationError("--rollback takes the revision with --to, not as an argument") }
            outcome = try registry.rollback(env: env, to: to, force: force, reason: reason)
        } else {
            guard let revision else { throw ValidationError("give a revision to deploy, or --rollback / --list / --history") }
            guard let env else { throw ValidationError("--env NAME is required (e.g. --env prod)") }
            outcome = try registry.deploy(revision: revision, env: env, force: force, reason: reason)
        }
        if json {
            try JSONOutput.emit(["env": outcome.env, "commit": outcome.commit.hex, "previous": outcome.previous?.hex as Any,
                                "forced": outcome.forced, "directory": outcome.directory, "message": outcome.reflogMessage])
        } else {
            let from = outcome.previous.map { " (was \($0.short))" } ?? ""
            print("\(outcome.env): \(outcome.commit.short)\(from)\(outcome.forced ? " [forced: gates failed]" : "")")
            print("adapter at \(outcome.directory)")
        }
    }

    private func printList(_ registry: Registry) throws {
        let deps = try registry.deployments()
        if json {
            try JSONOutput.emit(deps.map { d -> [String: Any] in
                let last = d.history.first
                return ["env": d.env, "commit": d.commit.hex, "summary": d.summary, "gate_status": d.gateStatus.rawValue,
                        "deployed_by": last?.who as Any, "deployed_at": last?.time as Any, "message": last?.message as Any]
            })
            return
        }
        if deps.isEmpty { print("no deployments (ftx deploy REV --env NAME)"); return }
        let rows = deps.map { d -> [String] in
            let last = d.history.first
            return [d.env, d.commit.short, d.gateStatus.rawValue, last.map { RunOutput.date($0.time) } ?? "",
                    last?.who ?? "", last?.message ?? d.summary]
        }
        print(RunOutput.table(["ENV", "COMMIT", "GATES", "WHEN", "WHO", "WHY"], rows), terminator: "")
    }

    private func printHistory(_ registry: Registry, env: String) throws {
        let events = try registry.deployHistory(env: env)
        if events.isEmpty { throw RegistryError.unknownEnvironment(env) }
        if json {
            try JSONOutput.emit(events.enumerated().map { i, e -> [String: Any] in
                ["rev": "\(env)@{\(i)}", "old": e.old?.hex as Any, "new": e.new.hex, "who": e.who, "time": e.time, "message": e.message]
            })
            return
        }
        print(registry.deployHistoryTable(env: env, events), terminator: "")
    }
}
