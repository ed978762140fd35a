import Foundation
import CZlib

/// Finds the central directory through the end-of-central-directory record and, when present,
/// the ZIP64 locator and record that torch always writes in front of it.
struct ZipDirectoryLocator {
    let buffer: ByteBuffer

    func locate() throws -> (range: Range<Int>, entryCount: Int) {
        let end = try findEndRecord()
        var cursor = ByteCursor(buffer: buffer, range: (end + 4)..<buffer.count)
        let disk = try cursor.readUInt16()
        let directoryDisk = try cursor.readUInt16()
        try cursor.skip(2)
        var count = UInt64(try cursor.readUInt16())
        var size = UInt64(try cursor.readUInt32())
        var offset = UInt64(try cursor.readUInt32())
        var limit = end
        if let zip64 = try zip64Record(before: end) {
            // Classic fields are either saturated or must agree with the ZIP64 record.
            let agrees = [(count, zip64.count, UInt64(0xffff)), (size, zip64.size, 0xffff_ffff), (offset, zip64.offset, 0xffff_ffff)]
                .allSatisfy { classic, wide, saturated in classic == saturated || classic == wide }
            guard agrees else { throw buffer.error("the end-of-central-directory record contradicts its ZIP64 record", at: end) }
            (count, size, offset) = (zip64.count, zip64.size, zip64.offset)
            limit = zip64.recordOffset
        } else {
            guard disk == 0, directoryDisk == 0 else { throw buffer.error("multi-disk zip archives are not supported", at: end) }
        }
        guard offset <= UInt64(limit), size <= UInt64(limit) - offset else {
            throw buffer.error("the central directory (offset \(offset), \(size) bytes) lies outside the file", at: end)
        }
        guard count <= size / 46 else {
            throw buffer.error("the central directory cannot hold \(count) entries in \(size) bytes", at: end)
        }
        return (Int(offset)..<(Int(offset) + Int(size)), Int(count))
    }

    private func findEndRecord() throws -> Int {
        let bytes = buffer.bytes
        guard bytes.count >= 22 else { throw buffer.error("too small to be a zip archive", at: nil) }
        let lowest = max(0, bytes.count - 22 - 0xffff)
        for offset in stride(from: bytes.count - 22, through: lowest, by: -1)
        where bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian == ZipArchive.endSignature {
            let commentLength = Int(bytes.loadUnaligned(fromByteOffset: offset + 20, as: UInt16.self).littleEndian)
            if offset + 22 + commentLength == bytes.count { return offset }
        }
        throw buffer.error("no zip end-of-central-directory record (not a zip archive, or truncated)", at: nil)
    }

    private func zip64Record(before end: Int) throws -> (count: UInt64, size: UInt64, offset: UInt64, recordOffset: Int)? {
        guard end >= 20 else { return nil }
        var locator = ByteCursor(buffer: buffer, range: (end - 20)..<end)
        guard try locator.readUInt32() == ZipArchive.zip64LocatorSignature else { return nil }
        try locator.skip(4)
        let recordOffset = try locator.readUInt64()
        guard end - 20 >= 56, recordOffset <= UInt64(end - 20 - 56) else {
            throw buffer.error("ZIP64 end record offset \(recordOffset) is outside the file", at: end - 20)
        }
        var record = ByteCursor(buffer: buffer, range: Int(recordOffset)..<(end - 20))
        guard try record.readUInt32() == ZipArchive.zip64EndSignature else {
            throw record.error("bad ZIP64 end-of-central-directory record", at: Int(recordOffset))
        }
        try record.skip(12)  // record size, versions
        guard try record.readUInt32() == 0, try record.readUInt32() == 0 else {
            throw record.error("multi-disk zip archives are not supported")
        }
        try record.skip(8)
        let count = try record.readUInt64()
        let size = try record.readUInt64()
        let offset = try record.readUInt64()
        return (count, size, offset, Int(recordOffset))
    }
}

enum ZipExtraFields {
    static let zip64ID: UInt16 = 0x0001
    /// torch's alignment padding field ("FB").
    static let paddingID: UInt16 = 0x4246

    /// Replaces sizes and the offset saturated at 0xFFFFFFFF by their ZIP64 extra-field values.
    static func applyZip64(_ extra: ByteSlice, uncompressed: inout UInt64, compressed: inout UInt64,
                           localOffset: inout UInt64) throws {
        var cursor = extra.cursor
        while !cursor.isAtEnd {
            let id = try cursor.readUInt16()
            let size = Int(try cursor.readUInt16())
            var field = try cursor.readSlice(size, for: "an extra field").cursor
            guard id == zip64ID else { continue }
            let saturated: UInt64 = 0xffff_ffff
            if uncompressed == saturated { uncompressed = try field.readUInt64() }
            if compressed == saturated { compressed = try field.readUInt64() }
            if localOffset == saturated { localOffset = try field.readUInt64() }
        }
    }
}

enum ZipChecksum {
    static func crc32(_ bytes: UnsafeRawBufferPointer, continuing previous: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return previous }
        return UInt32(crc32_z(UInt(previous), base.assumingMemoryBound(to: Bytef.self), bytes.count))
    }
}

/// Raw DEFLATE (no zlib header, as in zip members) through zlib.
enum ZipInflater {
    /// Inflates into a new allocation of exactly `expectedSize` bytes; anything else is an error.
    static func inflate(_ input: UnsafeRawBufferPointer, expectedSize: Int) throws -> UnsafeMutableRawPointer {
        guard input.count <= Int(UInt32.max), expectedSize <= Int(UInt32.max) else {
            throw InteropError("compressed members over 4 GiB are not supported")
        }
        let output = UnsafeMutableRawPointer.allocate(byteCount: max(expectedSize, 1), alignment: 64)
        var stream = z_stream()
        guard inflateInit2_(&stream, -MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            output.deallocate()
            throw InteropError("zlib could not be initialised")
        }
        defer { inflateEnd(&stream) }
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(input.count)
        stream.next_out = output.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = uInt(expectedSize)
        let status = CZlib.inflate(&stream, Z_FINISH)
        guard status == Z_STREAM_END, Int(stream.total_out) == expectedSize else {
            output.deallocate()
            let reason = status == Z_STREAM_END ? "inflated to \(stream.total_out) bytes instead of \(expectedSize)"
                : status == Z_BUF_ERROR ? "inflates to more than the declared \(expectedSize) bytes or is truncated"
                : "corrupt deflate data (zlib status \(status))"
            throw InteropError(reason)
        }
        return output
    }
}
