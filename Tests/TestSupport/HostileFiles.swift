import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Inputs from the hostile-file corpus that are easier to make than to store: named pipes and PNGs
/// whose header lies about their size.
public enum HostileFiles {
    /// A named pipe at `path`. Nothing ever writes to it, so a reader that opens it blocks forever.
    @discardableResult
    public static func fifo(_ path: String) throws -> String {
        guard mkfifo(path, 0o644) == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
        return path
    }

    /// A well-formed PNG (valid chunk CRCs, a one-byte zlib stream) that declares `width`×`height` RGB
    /// pixels: 70-odd bytes that a decoder trusting the header turns into terabytes.
    public static func pngDeclaring(width: UInt32, height: UInt32) -> Data {
        var bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        bytes += chunk("IHDR", bigEndian(width) + bigEndian(height) + [8, 2, 0, 0, 0])
        bytes += chunk("IDAT", [0x78, 0x9C, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01])
        bytes += chunk("IEND", [])
        return Data(bytes)
    }

    private static func chunk(_ type: String, _ payload: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + payload
        return bigEndian(UInt32(payload.count)) + typed + bigEndian(crc32(typed))
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) } }

    /// The PNG chunk CRC (ISO 3309, the same as zlib's crc32).
    private static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
