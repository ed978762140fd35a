/// RFC 8259's number grammar, `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, checked by
/// one pass over the bytes. (A Swift Regex took about 100 µs per number: a 10 MB header of small
/// numbers kept the reader busy for minutes.)
enum JSONNumber {
    static func isValid(_ text: UnsafeRawBufferPointer) -> Bool {
        var scanner = DigitScanner(text: text)
        _ = scanner.skip(UInt8(ascii: "-"))
        if !scanner.skip(UInt8(ascii: "0")) {
            guard let first = scanner.peek, (UInt8(ascii: "1")...UInt8(ascii: "9")).contains(first) else { return false }
            _ = scanner.digits()
        }
        if scanner.skip(UInt8(ascii: ".")), scanner.digits() == 0 { return false }
        if scanner.skip(UInt8(ascii: "e")) || scanner.skip(UInt8(ascii: "E")) {
            if !scanner.skip(UInt8(ascii: "+")) { _ = scanner.skip(UInt8(ascii: "-")) }
            if scanner.digits() == 0 { return false }
        }
        return scanner.isAtEnd
    }

    private struct DigitScanner {
        let text: UnsafeRawBufferPointer
        var position = 0

        var peek: UInt8? { position < text.count ? text[position] : nil }
        var isAtEnd: Bool { position == text.count }

        mutating func skip(_ byte: UInt8) -> Bool {
            guard peek == byte else { return false }
            position += 1
            return true
        }

        /// Skips a run of decimal digits and returns its length.
        mutating func digits() -> Int {
            let start = position
            while let byte = peek, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { position += 1 }
            return position - start
        }
    }
}
