import FTXCore

/// Errors of the registry porcelain (runs, deploys, bases, the run index). Each names the place
/// (a revision, a file, an environment, a column in a query) and, where there is one, what to do.
public enum RegistryError: FTXError {
    case notARepository(String)
    case badRevision(String, String)
    case notARunCommit(String)
    /// `overrideFlag`: how the command that was refused overrides gates (`--force` for `ftx deploy`,
    /// `--force-deploy` for `ftx checkout`, where `--force` means "discard my changes").
    case gateFailed(commit: String, env: String, overrideFlag: String)
    /// `ENV@{N}` (`back` = N) reaches past the environment's deploy history; `history` is its table.
    case noEarlierDeployment(env: String, revision: String, back: Int, deployments: Int, history: String)
    case unknownEnvironment(String)
    case noAdapter(String)
    case deployFailed(String, String)
    case query(String, column: Int, expression: String)
    case unknownField(String, suggestion: String?)
    case base(String, location: String, hint: String?)
    case config(String, location: String, hint: String?)
    case data(String, location: String)
    case provenance(String)
    case io(String, location: String)
    case interrupted
    case runGateFailed(commit: String, failed: [String])
    case notDeterministic(String, location: String?)
    case missing(String, hint: String?)

    public var message: String {
        switch self {
        case .notARepository: return "not an ftx repository (or any parent directory)"
        case .badRevision(_, let why): return why
        case .notARunCommit(let rev): return "\(rev) is not a run commit (no run header)"
        case .gateFailed(let c, let env, _):
            return "refusing to deploy \(c.prefix(12)) to \(env): its gates failed"
        case .noEarlierDeployment(let env, let rev, let back, let count, _):
            return "no earlier deployment of \(env) to roll back to: \(rev) is \(back) deployment(s) back, and \(env) has had only \(count)"
        case .unknownEnvironment(let env): return "no deployment named '\(env)'"
        case .noAdapter(let c): return "commit \(c.prefix(12)) has no adapter/ tree to deploy"
        case .deployFailed(let why, _): return why
        case .query(let why, _, _): return "bad --where expression: \(why)"
        case .unknownField(let name, _): return "unknown field '\(name)' in query"
        case .base(let why, _, _), .config(let why, _, _), .data(let why, _): return why
        case .provenance(let why): return "cannot read code provenance: \(why)"
        case .io(let why, _): return why
        case .interrupted: return "interrupted; nothing was committed"
        case .runGateFailed(let c, let failed):
            return "gates failed for run \(c.prefix(12)): \(failed.joined(separator: ", ")) (committed as failed)"
        case .notDeterministic(let why, _): return why
        case .missing(let why, _): return why
        }
    }

    public var location: String? {
        switch self {
        case .notARepository(let dir): return dir
        case .badRevision(let rev, _): return rev
        case .gateFailed(let c, _, _): return c
        case .noEarlierDeployment(_, let rev, _, _, _): return rev
        case .unknownEnvironment(let env): return "refs/deploy/\(env)"
        case .noAdapter(let c): return c
        case .deployFailed(_, let place): return place
        case .query(_, let column, let expr): return "--where, column \(column) of '\(expr)'"
        case .base(_, let loc, _), .config(_, let loc, _), .data(_, let loc), .io(_, let loc):
            return loc
        case .runGateFailed(let c, _): return c
        case .notDeterministic(_, let loc): return loc
        default: return nil
        }
    }

    public var hint: String? {
        switch self {
        case .notARepository: return "run `ftx init` first"
        case .gateFailed(_, _, let flag): return "inspect with `ftx show` / `ftx diff`, or pass \(flag) --reason \"why\" to deploy anyway"
        case .noEarlierDeployment(let env, _, _, let count, let history):
            let next = count > 1 ? "roll back to one of these (ftx checkout \(env)@{N}), or deploy a run"
                                 : "there is nothing to roll back to until another run is deployed"
            return "\(env)'s deployments, newest first (ftx deploy --history \(env)):\n\(history)\(next): ftx deploy REV --env \(env)"
        case .unknownEnvironment: return "see `ftx deploy --list`"
        case .unknownField(_, let s): return s.map { "did you mean '\($0)'?" } ?? "see `ftx runs --json` for the fields of each run"
        case .query: return "example: --where 'lora_r <= 16 and pass_rate > 0.8'"
        case .base(_, _, let h), .config(_, _, let h): return h
        case .runGateFailed: return "the run is kept as evidence; `ftx show HEAD` lists the gate verdicts"
        case .missing(_, let h): return h
        default: return nil
        }
    }

    public var exitCode: Int32 {
        switch self {
        case .runGateFailed, .notDeterministic: return 1
        case .interrupted: return 130  // as a shell reports SIGINT
        default: return 2
        }
    }
}
