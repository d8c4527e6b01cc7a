import FTXCore

/// How a dataset file is read.
public struct ReadOptions: Sendable {
    /// Longest accepted line in bytes; a longer one is refused without buffering the rest.
    public var maxLineBytes: Int
    /// Block size of each read(2); memory stays around two blocks plus one line.
    public var blockSize: Int
    public init(maxLineBytes: Int = LineReader.defaultMaxLineBytes, blockSize: Int = 4 << 20) {
        self.maxLineBytes = maxLineBytes
        self.blockSize = blockSize
    }
}

/// Streaming JSONL reading: blocks of lines are parsed in parallel, then handed out in file order.
/// The format is detected from the first example; a line in another format is an error that names it.
public enum ExampleReader {
    public static func forEach(path: String, _ body: (Example) throws -> Void) throws {
        try forEach(path: path, options: ReadOptions(), body)
    }

    public static func forEach(path: String, options: ReadOptions, _ body: (Example) throws -> Void) throws {
        try forEachBatch(path: path, options: options, computeID: true) { examples, _, _ in
            for e in examples { try body(e) }
        }
    }

    public static func readAll(path: String) throws -> [Example] {
        try readAll(path: path, options: ReadOptions())
    }

    public static func readAll(path: String, options: ReadOptions) throws -> [Example] {
        var all: [Example] = []
        try forEach(path: path, options: options) { all.append($0) }
        return all
    }

    /// Batches of parsed examples with their line spans (for passes that also need raw bytes or
    /// offsets). Throws the first bad line in file order; checks format consistency; refuses empty files.
    @discardableResult
    public static func forEachBatch(path: String, options: ReadOptions = ReadOptions(), computeID: Bool,
                                    _ body: ([Example], [LineSpan], LineBatch) throws -> Void) throws -> ExampleFormat {
        var format: ExampleFormat?
        var firstLoc: SourceLocation?
        let reader = LineReader(path: path, maxLineBytes: options.maxLineBytes, blockSize: options.blockSize)
        try reader.forEachBatch { batch in
            let results: [Result<Example, DataError>] = Threads.map(batch.lines.count, minChunk: 32) { k in
                let span = batch.lines[k]
                do {
                    return .success(try ExampleParser.parse(batch.bytes(span), file: path, line: span.line, computeID: computeID))
                } catch let e as DataError {
                    return .failure(e)
                } catch {
                    return .failure(.invalidJSON(SourceLocation(file: path, line: span.line), column: 1, detail: "\(error)"))
                }
            }
            var examples: [Example] = []
            examples.reserveCapacity(results.count)
            for (k, r) in results.enumerated() {
                let e = try r.get()
                if let f = format, f != e.format, let first = firstLoc {
                    throw DataError.mixedFormats(SourceLocation(file: path, line: batch.lines[k].line),
                                                 expected: f, found: e.format, firstLine: first)
                }
                if format == nil { format = e.format; firstLoc = e.source }
                examples.append(e)
            }
            try body(examples, batch.lines, batch)
        }
        guard let f = format else { throw DataError.emptyFile(path: path) }
        return f
    }
}
