import Foundation

/// Filters, methods and global functions of the Jinja subset. Each charges its work to the budget
/// and checks the size of what it makes before (or while) making it.
extension JinjaInterpreter {
    func filter(_ name: String, _ v: JinjaValue, _ args: [JinjaValue], _ kw: [String: JinjaValue], _ line: Int?) throws -> JinjaValue {
        switch name {
        case "trim": return .string(try text(v).trimmingCharacters(in: .whitespacesAndNewlines))
        case "upper": return .string(try sized(text(v).uppercased()))
        case "lower": return .string(try sized(text(v).lowercased()))
        case "title": return .string(try sized(text(v).capitalized))
        case "capitalize":
            let s = try text(v)
            return .string(try sized(s.prefix(1).uppercased() + s.dropFirst().lowercased()))
        case "length", "count":
            switch v {
            case .string(let s): try budget.text(s.utf8.count); return .int(s.count)
            case .list(let l, _): return .int(l.count)
            case .dict(let d, _, _): return .int(d.count)
            default: return .int(0)
            }
        case "default", "d":
            let dflt = args.first ?? .string("")
            let boolean = (args.count > 1 ? args[1] : kw["boolean"] ?? .bool(false)).truthy
            if case .undefined = v { return dflt }
            if boolean && !v.truthy { return dflt }
            return v
        case "first": if case .list(let l, _) = v { return l.first ?? .undefined }; return try v.iterated(budget)?.first ?? .undefined
        case "last": if case .list(let l, _) = v { return l.last ?? .undefined }; return try v.iterated(budget)?.last ?? .undefined
        case "join":
            let sep = try args.first.map(str) ?? ""
            var out = ""
            for (i, x) in (try v.iterated(budget) ?? []).enumerated() {
                if i > 0 { try budget.append(sep, to: &out) }
                try budget.append(try str(x), to: &out)
            }
            return .string(out)
        case "tojson":
            var out = ""
            try v.append(to: &out, json: true, budget)
            return .string(out)
        case "string": return .string(try str(v))
        case "int":
            // Jinja's int filter gives 0 for what does not convert (here also what does not fit).
            if let n = v.number { return .int(Int(exactly: n.rounded(.towardZero)) ?? 0) }
            return .int(Int(try str(v).trimmingCharacters(in: .whitespaces)) ?? 0)
        case "float":
            if let n = v.number { return .double(n) }
            return .double(Double(try str(v)) ?? 0)
        case "abs":
            if case .int(let n) = v { return .int(try checked(0.subtractingReportingOverflow(n < 0 ? n : -n), line)) }
            return .double(abs(v.number ?? 0))
        case "list": return .list(try v.iterated(budget) ?? [])
        case "reverse":
            if case .string(let s) = v { try budget.text(s.utf8.count); return .string(String(s.reversed())) }
            let items = try v.iterated(budget) ?? []
            try budget.items(items.count)
            return .list(items.reversed())
        case "replace":
            guard args.count >= 2 else { throw fail("replace needs two arguments", line) }
            return .string(try replaced(text(v), try str(args[0]), try str(args[1])))
        case "items":
            guard case .dict(let d, let keys, _) = v else { return .list([]) }
            try budget.items(keys.count)
            return .list(keys.map { .list([.string($0), d[$0]!]) })
        case "safe", "escape", "e", "forceescape": return v
        case "unique":
            var out: [JinjaValue] = []
            for x in try v.iterated(budget) ?? [] where try !out.contains(where: { try $0.equals(x, budget) }) { out.append(x) }
            return .list(out)
        case "selectattr", "rejectattr":
            guard let attr = try args.first.map(str) else { throw fail("\(name) needs an attribute", line) }
            let keep = name == "selectattr"
            let testName = try args.count > 1 ? str(args[1]) : nil
            return .list(try (v.iterated(budget) ?? []).filter { item in
                try budget.spend()
                let a: JinjaValue
                if case .dict(let d, _, _) = item { a = d[attr] ?? .undefined } else { a = .undefined }
                let r = try testName.map { try test($0, a, Array(args.dropFirst(2)), line) } ?? a.truthy
                return r == keep
            })
        case "map":
            let items = try v.iterated(budget) ?? []
            try budget.items(items.count)
            if let attr = try kw["attribute"].map(str) {
                return .list(items.map { if case .dict(let d, _, _) = $0 { return d[attr] ?? .undefined }; return .undefined })
            }
            guard let f = try args.first.map(str) else { throw fail("map needs a filter or attribute=", line) }
            return .list(try items.map { try filter(f, $0, Array(args.dropFirst()), [:], line) })
        default:
            throw fail("unsupported filter '\(name)'", line)
        }
    }

    func call(method: String, on v: JinjaValue, _ args: [JinjaValue], _ kw: [String: JinjaValue], _ line: Int?) throws -> JinjaValue {
        if case .string(let s) = v { try budget.text(s.utf8.count) }
        switch (v, method) {
        case (.string(let s), "strip"), (.string(let s), "lstrip"), (.string(let s), "rstrip"):
            let set = try args.first.map { CharacterSet(charactersIn: try str($0)) } ?? .whitespacesAndNewlines
            var scalars = Substring(s).unicodeScalars[...]
            if method != "rstrip" { while let f = scalars.first, set.contains(f) { scalars = scalars.dropFirst() } }
            if method != "lstrip" { while let l = scalars.last, set.contains(l) { scalars = scalars.dropLast() } }
            return .string(String(String.UnicodeScalarView(scalars)))
        case (.string(let s), "upper"): return .string(try sized(s.uppercased()))
        case (.string(let s), "lower"): return .string(try sized(s.lowercased()))
        case (.string(let s), "title"): return .string(try sized(s.capitalized))
        case (.string(let s), "startswith"): return .bool(try args.contains { s.hasPrefix(try str($0)) })
        case (.string(let s), "endswith"): return .bool(try args.contains { s.hasSuffix(try str($0)) })
        case (.string(let s), "replace"):
            guard args.count >= 2 else { throw fail("replace needs two arguments", line) }
            return .string(try replaced(s, try str(args[0]), try str(args[1])))
        case (.string(let s), "split"):
            return .list(try split(s, try args.first.map(str)).map { .string($0) })
        case (.string(let s), "format"):
            var out = s
            for a in args {
                guard let r = out.range(of: "{}") else { break }
                let piece = try str(a)
                try budget.textSum(out.utf8.count, piece.utf8.count)
                out.replaceSubrange(r, with: piece)
            }
            return .string(out)
        case (.dict(let d, _, _), "get"): return d[try args.first.map(str) ?? ""] ?? (args.count > 1 ? args[1] : .none)
        case (.dict(let d, let keys, _), "items"):
            try budget.items(keys.count)
            return .list(keys.map { .list([.string($0), d[$0]!]) })
        case (.dict(_, let keys, _), "keys"): try budget.items(keys.count); return .list(keys.map { .string($0) })
        case (.dict(let d, let keys, _), "values"): try budget.items(keys.count); return .list(keys.map { d[$0]! })
        default:
            throw fail("unsupported method \(v.typeName).\(method)()", line)
        }
    }

    func call(function f: String, _ args: [JinjaValue], _ kw: [String: JinjaValue], _ line: Int?) throws -> JinjaValue {
        switch f {
        case "raise_exception":
            throw fail("the template raised an error: \(try args.first.map(str) ?? "")", line)
        case "range":
            let ns = args.compactMap { v -> Int? in if case .int(let n) = v { return n }; return nil }
            guard ns.count == args.count, !ns.isEmpty, ns.count <= 3 else { throw fail("range needs one to three integers", line) }
            let (a, b, s) = ns.count == 1 ? (0, ns[0], 1) : (ns[0], ns[1], ns.count > 2 ? ns[2] : 1)
            guard s != 0 else { throw fail("range step 0", line) }
            // The length is counted (overflow-checked) before a single item is made.
            let (span, o) = s > 0 ? b.subtractingReportingOverflow(a) : a.subtractingReportingOverflow(b)
            let count = o ? Int.max : span <= 0 ? 0 : Int((UInt(span) - 1) / s.magnitude) + 1
            try budget.items(count)
            return .list(stride(from: a, to: b, by: s).map { .int($0) })
        case "namespace":
            let ns = JinjaNamespace()
            for (k, v) in kw { ns.values[k] = v }
            return .namespace(ns)
        case "strftime_now":
            let fmt = DateFormatter()
            fmt.locale = Locale(identifier: "en_US_POSIX")
            let pattern = try args.first.map(str) ?? "%Y-%m-%d"
            fmt.dateFormat = pattern.replacingOccurrences(of: "%d", with: "dd").replacingOccurrences(of: "%b", with: "MMM")
                .replacingOccurrences(of: "%B", with: "MMMM").replacingOccurrences(of: "%Y", with: "yyyy")
                .replacingOccurrences(of: "%m", with: "MM")
            return .string(fmt.string(from: Date()))
        default:
            throw fail("unsupported function \(f)()", line)
        }
    }
}
