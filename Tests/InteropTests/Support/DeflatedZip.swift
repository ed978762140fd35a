import Foundation
import CZlib

/// Writes zip archives whose members are DEFLATE-compressed, as Python's zipfile does with
/// ZIP_DEFLATED (toonkit's own writer only stores). A member's content is `chunk` repeated, so a
/// member that inflates to hundreds of megabytes needs no such buffer here.
enum DeflatedZip {
    struct Member {
        let name: String
        let chunk: [UInt8]
        var repeats = 1

        var size: Int { chunk.count * repeats }
        var crc: UInt32 {
            var crc: UInt = 0
            for _ in 0..<repeats { crc = crc32_z(crc, chunk, chunk.count) }
            return UInt32(crc)
        }
    }

    static func archive(_ members: [Member]) -> [UInt8] {
        var bytes: [UInt8] = []
        var central: [UInt8] = []
        for member in members {
            let name = Array(member.name.utf8)
            let compressed = deflate(member)
            // Shared by the local header (from "version needed") and the central entry (from its second field).
            let common = le(UInt16(20)) + le(UInt16(0)) + le(UInt16(8)) + le(UInt32(0)) + le(member.crc)
                + le(UInt32(compressed.count)) + le(UInt32(member.size)) + le(UInt16(name.count)) + le(UInt16(0))
            central += le(UInt32(0x0201_4b50)) + le(UInt16(20)) + common + le(UInt16(0)) + le(UInt16(0)) + le(UInt16(0))
                + le(UInt32(0)) + le(UInt32(bytes.count)) + name
            bytes += le(UInt32(0x0403_4b50)) + common + name + compressed
        }
        let end = le(UInt32(0x0605_4b50)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt16(members.count)) + le(UInt16(members.count))
            + le(UInt32(central.count)) + le(UInt32(bytes.count)) + le(UInt16(0))
        return bytes + central + end
    }

    /// Raw DEFLATE (no zlib header), fed one chunk at a time.
    static func deflate(_ member: Member) -> [UInt8] {
        var stream = z_stream()
        let status = deflateInit2_(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY,
                                   zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        precondition(status == Z_OK, "zlib deflateInit2 failed")
        defer { deflateEnd(&stream) }
        var output: [UInt8] = []
        var window = [UInt8](repeating: 0, count: 1 << 16)
        var input = member.chunk
        for index in 0..<max(member.repeats, 1) {
            let flush = index == max(member.repeats, 1) - 1 ? Z_FINISH : Z_NO_FLUSH
            input.withUnsafeMutableBufferPointer { source in
                stream.next_in = source.baseAddress
                stream.avail_in = uInt(source.count)
                repeat {
                    window.withUnsafeMutableBufferPointer { target in
                        stream.next_out = target.baseAddress
                        stream.avail_out = uInt(target.count)
                        _ = CZlib.deflate(&stream, flush)
                        output += target[0..<(target.count - Int(stream.avail_out))]
                    }
                } while stream.avail_out == 0
            }
        }
        return output
    }

    private static func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian, Array.init) }
}
