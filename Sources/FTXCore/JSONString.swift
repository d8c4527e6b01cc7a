/// JSON string literals for the hand-written JSON emitters (reports, templates' `tojson`).
public enum JSONString {
    /// Appends `s` as a quoted JSON string. `asciiOnly` escapes everything outside printable ASCII
    /// as \uXXXX (UTF-16, so astral characters become surrogate pairs), as Python's
    /// `json.dumps(ensure_ascii=True)` does; otherwise only quotes, backslashes and controls are escaped.
    public static func append(_ s: String, to out: inout String, asciiOnly: Bool = false) {
        func hex(_ v: UInt16) {
            let h = String(v, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
        }
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 || (asciiOnly && u.value > 0x7e) {
                    for unit in String(u).utf16 { hex(unit) }
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }

    public static func quoted(_ s: String, asciiOnly: Bool = false) -> String {
        var out = ""
        append(s, to: &out, asciiOnly: asciiOnly)
        return out
    }
}
