import Foundation

/// Filters, methods and global functions of the Jinja subset.
extension JinjaInterpreter {
    func filter(_ name: String, _ v: JinjaValue, _ args: [JinjaValue], _ kw: [String: JinjaValue], _ line: Int?) throws -> JinjaValue {
        switch name {
        case "trim": return .string(v.rendered.trimmingCharacters(in: .whitespacesAndNewlines))
        case "upper": return .string(v.rendered.uppercased())
        case "lower": return .string(v.rendered.lowercased())
        case "title": return .string(v.rendered.capitalized)
        case "capitalize":
            let s = v.rendered
            return .string(s.prefix(1).uppercased() + s.dropFirst().lowercased())
        case "length", "count":
            switch v {
            case .string(let s): return .int(s.count)
            case .list(let l): return .int(l.count)
            case .dict(let d, _): return .int(d.count)
            default: return .int(0)
            }
        case "default", "d":
            let dflt = args.first ?? .string("")
            let boolean = (args.count > 1 ? args[1] : kw["boolean"] ?? .bool(false)).truthy
            if case .undefined = v { return dflt }
            if boolean && !v.truthy { return dflt }
            return v
        case "first": if case .list(let l) = v { return l.first ?? .undefined }; return v.iterated?.first ?? .undefined
        case "last": if case .list(let l) = v { return l.last ?? .undefined }; return v.iterated?.last ?? .undefined
        case "join":
            let sep = args.first?.rendered ?? ""
            return .string((v.iterated ?? []).map(\.rendered).joined(separator: sep))
        case "tojson": return .string(v.json)
        case "string": return .string(v.rendered)
        case "int":
            if let n = v.number { return .int(Int(n)) }
            return .int(Int(v.rendered.trimmingCharacters(in: .whitespaces)) ?? 0)
        case "float": return .double(v.number ?? Double(v.rendered) ?? 0)
        case "abs": if case .int(let n) = v { return .int(abs(n)) }; return .double(abs(v.number ?? 0))
        case "list": return .list(v.iterated ?? [])
        case "reverse":
            if case .string(let s) = v { return .string(String(s.reversed())) }
            return .list((v.iterated ?? []).reversed())
        case "replace":
            guard args.count >= 2 else { throw ModelError.template("replace needs two arguments", line: line) }
            return .string(v.rendered.replacingOccurrences(of: args[0].rendered, with: args[1].rendered))
        case "items":
            guard case .dict(let d, let keys) = v else { return .list([]) }
            return .list(keys.map { .list([.string($0), d[$0]!]) })
        case "safe", "escape", "e", "forceescape": return v
        case "unique":
            var out: [JinjaValue] = []
            for x in v.iterated ?? [] where !out.contains(where: { $0.equals(x) }) { out.append(x) }
            return .list(out)
        case "selectattr", "rejectattr":
            guard let attr = args.first?.rendered else { throw ModelError.template("\(name) needs an attribute", line: line) }
            let keep = name == "selectattr"
            return .list(try (v.iterated ?? []).filter { item in
                let a: JinjaValue
                if case .dict(let d, _) = item { a = d[attr] ?? .undefined } else { a = .undefined }
                let r = args.count > 1 ? try test(args[1].rendered, a, Array(args.dropFirst(2)), line) : a.truthy
                return r == keep
            })
        case "map":
            if let attr = kw["attribute"]?.rendered {
                return .list((v.iterated ?? []).map { if case .dict(let d, _) = $0 { return d[attr] ?? .undefined }; return .undefined })
            }
            guard let f = args.first?.rendered else { throw ModelError.template("map needs a filter or attribute=", line: line) }
            return .list(try (v.iterated ?? []).map { try filter(f, $0, Array(args.dropFirst()), [:], line) })
        default:
            throw ModelError.template("unsupported filter '\(name)'", line: line)
        }
    }

    func call(method: String, on v: JinjaValue, _ args: [JinjaValue], _ kw: [String: JinjaValue], _ line: Int?) throws -> JinjaValue {
        switch (v, method) {
        case (.string(let s), "strip"), (.string(let s), "lstrip"), (.string(let s), "rstrip"):
            let set = args.first.map { CharacterSet(charactersIn: $0.rendered) } ?? .whitespacesAndNewlines
            var scalars = Substring(s).unicodeScalars[...]
            if method != "rstrip" { while let f = scalars.first, set.contains(f) { scalars = scalars.dropFirst() } }
            if method != "lstrip" { while let l = scalars.last, set.contains(l) { scalars = scalars.dropLast() } }
            return .string(String(String.UnicodeScalarView(scalars)))
        case (.string(let s), "upper"): return .string(s.uppercased())
        case (.string(let s), "lower"): return .string(s.lowercased())
        case (.string(let s), "title"): return .string(s.capitalized)
        case (.string(let s), "startswith"): return .bool(args.contains { s.hasPrefix($0.rendered) })
        case (.string(let s), "endswith"): return .bool(args.contains { s.hasSuffix($0.rendered) })
        case (.string(let s), "replace"):
            guard args.count >= 2 else { throw ModelError.template("replace needs two arguments", line: line) }
            return .string(s.replacingOccurrences(of: args[0].rendered, with: args[1].rendered))
        case (.string(let s), "split"):
            if let sep = args.first?.rendered { return .list(s.components(separatedBy: sep).map { .string($0) }) }
            return .list(s.split(whereSeparator: { $0.isWhitespace }).map { .string(String($0)) })
        case (.string(let s), "format"):
            var out = s
            for a in args { if let r = out.range(of: "{}") { out.replaceSubrange(r, with: a.rendered) } }
            return .string(out)
        case (.dict(let d, _), "get"): return d[args.first?.rendered ?? ""] ?? (args.count > 1 ? args[1] : .none)
        case (.dict(let d, let keys), "items"): return .list(keys.map { .list([.string($0), d[$0]!]) })
        case (.dict(_, let keys), "keys"): return .list(keys.map { .string($0) })
        case (.dict(let d, let keys), "values"): return .list(keys.map { d[$0]! })
        default:
            throw ModelError.template("unsupported method \(v.typeName).\(method)()", line: line)
        }
    }

    func call(function f: String, _ args: [JinjaValue], _ kw: [String: JinjaValue], _ line: Int?) throws -> JinjaValue {
        switch f {
        case "raise_exception":
            throw ModelError.template("the template raised an error: \(args.first?.rendered ?? "")", line: line)
        case "range":
            let ns = args.compactMap { v -> Int? in if case .int(let n) = v { return n }; return nil }
            guard ns.count == args.count, !ns.isEmpty else { throw ModelError.template("range needs integers", line: line) }
            let (a, b, s) = ns.count == 1 ? (0, ns[0], 1) : (ns[0], ns[1], ns.count > 2 ? ns[2] : 1)
            guard s != 0 else { throw ModelError.template("range step 0", line: line) }
            return .list(stride(from: a, to: b, by: s).map { .int($0) })
        case "namespace":
            let ns = JinjaNamespace()
            for (k, v) in kw { ns.values[k] = v }
            return .namespace(ns)
        case "strftime_now":
            let fmt = DateFormatter()
            fmt.locale = Locale(identifier: "en_US_POSIX")
            let pattern = args.first?.rendered ?? "%Y-%m-%d"
            fmt.dateFormat = pattern.replacingOccurrences(of: "%d", with: "dd").replacingOccurrences(of: "%b", with: "MMM")
                .replacingOccurrences(of: "%B", with: "MMMM").replacingOccurrences(of: "%Y", with: "yyyy")
                .replacingOccurrences(of: "%m", with: "MM")
            return .string(fmt.string(from: Date()))
        default:
            throw ModelError.template("unsupported function \(f)()", line: line)
        }
    }
}
