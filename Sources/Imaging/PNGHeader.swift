import Foundation

/// Size and colour type from a PNG's IHDR chunk: enough to validate an image, or refuse it, without
/// decoding it.
public struct PNGHeader: Equatable, Sendable {
    public static let byteCount = 26
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// The most pixels toonkit decodes from one PNG: 2^26, 8192×8192. StyleGAN2 works at 1024² at most
    /// and data-set sources (photos up to ~60 megapixels) fit, while the largest decode buffer stays at
    /// 192 MiB (RGB) instead of whatever a 70-byte file declares (10^6 × 10^6 pixels is 3 TB).
    public static let maxPixels = 1 << 26

    public let width: Int
    public let height: Int
    public let colourType: UInt8

    /// Grey PNGs (with or without alpha) load as one channel, everything else as RGB. Alpha is dropped,
    /// as the image decoder does.
    public var channels: Int { colourType == 0 || colourType == 4 ? 1 : 3 }

    public init(width: Int, height: Int, colourType: UInt8) {
        self.width = width
        self.height = height
        self.colourType = colourType
    }

    /// Reads the header from the first `byteCount` bytes of `data`; `name` is the file messages name.
    public init(_ data: Data, name: String) throws {
        let bytes = [UInt8](data.prefix(Self.byteCount))
        guard bytes.count == Self.byteCount, Array(bytes[0..<8]) == Self.signature,
              String(decoding: bytes[12..<16], as: UTF8.self) == "IHDR" else {
            throw ImagingError("\(name): not a PNG file (corrupt or wrong format)")
        }
        func bigEndian(_ offset: Int) -> Int { bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) } }
        width = bigEndian(16)
        height = bigEndian(20)
        colourType = bytes[25]
        guard width > 0, height > 0, [0, 2, 3, 4, 6].contains(colourType) else {
            throw ImagingError("\(name): corrupt PNG header (\(width)×\(height), colour type \(colourType))")
        }
    }

    /// Throws unless the image is small enough to decode (see `maxPixels`). The product is checked,
    /// since two 32-bit sides overflow a signed 64-bit integer.
    public func checkDecodable(name: String) throws {
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, pixels <= Self.maxPixels else {
            throw ImagingError("\(name): declares \(width)×\(height) pixels, more than the \(Self.maxPixels) (8192×8192) toonkit decodes")
        }
    }
}
