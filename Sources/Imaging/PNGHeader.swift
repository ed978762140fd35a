import Foundation

/// Size and colour type from a PNG's IHDR chunk: enough to validate a data set without decoding it.
struct PNGHeader: Equatable {
    static let byteCount = 26
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    let width: Int
    let height: Int
    let colourType: UInt8

    /// Grey PNGs (with or without alpha) load as one channel, everything else as RGB. Alpha is dropped,
    /// as the image decoder does.
    var channels: Int { colourType == 0 || colourType == 4 ? 1 : 3 }

    init(width: Int, height: Int, colourType: UInt8) {
        self.width = width
        self.height = height
        self.colourType = colourType
    }

    init(_ data: Data, name: String) throws {
        let bytes = [UInt8](data.prefix(Self.byteCount))
        guard bytes.count == Self.byteCount, Array(bytes[0..<8]) == Self.signature,
              String(decoding: bytes[12..<16], as: UTF8.self) == "IHDR" else {
            throw TrainingError("\(name): not a PNG file (corrupt or wrong format)")
        }
        func bigEndian(_ offset: Int) -> Int { bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) } }
        width = bigEndian(16)
        height = bigEndian(20)
        colourType = bytes[25]
        guard width > 0, height > 0, [0, 2, 3, 4, 6].contains(colourType) else {
            throw TrainingError("\(name): corrupt PNG header (\(width)×\(height), colour type \(colourType))")
        }
    }
}
