extension String {
    /// The text with every control character (C0, DEL, C1, and so ANSI escape sequences) written as `\u{…}`,
    /// so a name taken from a file cannot move the cursor, recolour or clear the user's terminal, or fake
    /// a line of output. Newlines and tabs are escaped too: callers escape the untrusted part only.
    public var escapedForDisplay: String {
        guard unicodeScalars.contains(where: \.isControl) else { return self }
        var escaped = ""
        for scalar in unicodeScalars {
            if scalar.isControl {
                escaped += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}

extension Unicode.Scalar {
    /// C0 controls, DEL and C1 controls (U+0080–U+009F, which some terminals treat as escape introducers).
    var isControl: Bool { value < 0x20 || (0x7F...0x9F).contains(value) }
}
