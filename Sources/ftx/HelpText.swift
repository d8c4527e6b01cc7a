/// `--help` discussions are written as paragraphs of source-width lines, and ArgumentParser wraps
/// every line to the terminal on its own, which would leave a ragged short line after each one.
/// This joins each paragraph into one line so it wraps evenly. Indented lines (examples, tables)
/// and a line ending in ":" (a heading) stay as written.
func reflow(_ text: String) -> String {
    var out: [String] = []
    var joinable = false   // the last output line is prose that the next prose line continues
    for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
        let prose = !line.isEmpty && !line.hasPrefix(" ")
        if prose && joinable, let last = out.popLast() {
            out.append(last + " " + line)
        } else {
            out.append(line)
        }
        joinable = prose && !line.hasSuffix(":")
    }
    return out.joined(separator: "\n")
}
