import ArgumentParser
import Foundation
import FTXCore
import FTXServe

/// Serving: `ftx serve` (an OpenAI-compatible HTTP server over the deployed adapters).
enum ServeCommands {
    static let all: [ParsableCommand.Type] = [ServeCommand.self]
}

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve deployed adapters over an OpenAI-compatible HTTP API.",
        discussion: reflow("""
        Serves the adapter deployed to ENV (refs/deploy/ENV) on the base model its run was trained on,
        and follows the ref: after `ftx deploy` or `ftx checkout prod@{1}` new requests get the new
        adapter within a second, while requests in flight finish on the one they started with.
        A request's `model` picks an environment (prod, staging), a run id or revision, or `base` (no
        adapter); every response names the adapter that answered in `x-ftx-adapter`.

        Endpoints: POST /v1/chat/completions, POST /v1/completions (stream or not), GET /v1/models,
        GET /healthz, GET /metrics (Prometheus). Each request is logged as one JSON line to
        .ftx/serve/ENV/YYYY-MM-DD.jsonl (`ftx monitor` reads them); --no-log-content keeps only
        sizes and hashes of prompts and outputs.

        Examples:
          ftx serve                                   # prod on 127.0.0.1:8080
          ftx serve --env staging --port 0            # any free port (printed)
          ftx serve HEAD~1 --port 9000                # a run's adapter, not a deployment
          ftx serve --model base.gguf --adapter out/  # no repository
          FTX_KEY=secret ftx serve --host 0.0.0.0 --api-key-env FTX_KEY
          curl localhost:8080/v1/chat/completions -d '{"model":"prod","messages":[{"role":"user","content":"Hi"}]}'

        The first line on stdout is `ftx serve: listening on http://HOST:PORT (...)`; requests get
        503 until the model is loaded (`ftx serve: ready ...`). Ctrl-C or SIGTERM stops accepting,
        finishes the requests in flight, and exits 0.
        """))

    @Argument(help: "Serve this run's adapter (commit, tag, HEAD~N) instead of ENV's deployment.") var revision: String?
    @Option(help: "The deploy environment served by default and named in the request log.") var env = "prod"
    @Option(help: "A GGUF base model to serve without a repository.") var model: String?
    @Option(help: "With --model: a LoRA adapter (PEFT directory or GGUF LoRA) applied unmerged.") var adapter: String?
    @Option(help: "Address to bind (a non-loopback one needs --api-key-env).") var host = "127.0.0.1"
    @Option(help: "Port (0 = any free port).") var port = 8080
    @Option(help: "Environment variable holding the API key clients send as `Authorization: Bearer KEY`.") var apiKeyEnv: String?
    @Option(help: "Largest request body in bytes (413 beyond).") var maxBody = 1 << 20
    @Option(help: "Seconds a request may take before it is cancelled.") var timeout = 300.0
    @Option(help: "Sequences decoded together.") var maxBatch = 32
    @Option(help: "Requests that may wait for a slot before new ones get 429.") var maxQueue = 256
    @Option(help: "Worker threads (default: all cores).") var threads: Int?
    @Option(help: "Directory of the request log (default: .ftx/serve of the repository).") var logDir: String?
    @Flag(help: "Log only sizes and SHA-256 hashes of prompts and outputs, not their text.") var noLogContent = false

    func validate() throws {
        if adapter != nil && model == nil { throw ValidationError("--adapter needs --model (a repository's adapters come from its runs)") }
        if model != nil && revision != nil { throw ValidationError("give either REV or --model, not both") }
        if !(1...65535).contains(port) && port != 0 { throw ValidationError("--port must be 0-65535") }
        if maxBody < 1 || timeout <= 0 || maxBatch < 1 || maxQueue < 0 {
            throw ValidationError("--max-body, --timeout and --max-batch must be positive, --max-queue at least 0")
        }
        if let problem = ServeOptions.apiKeyProblem(host: host, apiKeyEnv: apiKeyEnv, environment: ProcessInfo.processInfo.environment) {
            throw ValidationError(problem)
        }
    }

    func run() throws {
        if let threads { Threads.count = threads }
        var setup = ServeSetup()
        setup.env = env; setup.revision = revision; setup.modelPath = model; setup.adapterPath = adapter
        setup.options.host = host; setup.options.port = port
        setup.options.apiKey = apiKeyEnv.flatMap { ProcessInfo.processInfo.environment[$0] }
        setup.options.maxBodyBytes = maxBody; setup.options.timeoutSeconds = timeout
        setup.options.maxBatch = maxBatch; setup.options.maxQueue = maxQueue; setup.options.logContent = !noLogContent
        setup.logRoot = logDir
        try ServeLauncher.run(setup, say: { line in print(line); fflush(stdout) },
                              warn: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) })
    }
}
