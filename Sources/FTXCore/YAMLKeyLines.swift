import Yams

extension YAMLDocument {
    /// The 1-based line of each mapping key by dotted path (`severity.casing`), so readers that take
    /// plain values from `load` can still name file:line in their errors.
    public static func keyLines(_ text: String, file: String) throws -> [String: Int] {
        guard let root = try compose(text, file: file) else { return [:] }
        var out: [String: Int] = [:]
        func walk(_ node: Node, _ prefix: String) {   // depth is bounded by compose's limits
            guard let map = node.mapping else { return }
            for (k, v) in map {
                guard let key = k.string else { continue }
                let path = prefix.isEmpty ? key : prefix + "." + key
                if let line = k.mark?.line { out[path] = line }
                walk(v, path)
            }
        }
        walk(root, "")
        return out
    }
}
