import Foundation
import CZlib

/// One member of a zip archive, with sizes and offsets taken from the central directory.
public struct ZipEntry: Sendable {
    public let name: String
    public let isCompressed: Bool
    public let crc32: UInt32
    public let compressedSize: Int
    public let uncompressedSize: Int
    /// Where the (possibly compressed) bytes lie in the file: after the local header, its name
    /// and its own extra field, which holds torch's alignment padding.
    public let dataRange: Range<Int>
    let localHeaderOffset: Int
}

/// A read-only zip archive over a mapped file: the reader behind torch.save `.pt` files and
/// numpy `.npz` files. It supports ZIP64, STORED and DEFLATE members, and refuses encrypted or
/// duplicate members, `..` paths and offsets or sizes that point outside the file.
public final class ZipArchive {
    public let buffer: ByteBuffer
    public let entries: [ZipEntry]
    private let index: [String: Int]

    static let localSignature: UInt32 = 0x0403_4b50
    static let centralSignature: UInt32 = 0x0201_4b50
    static let endSignature: UInt32 = 0x0605_4b50
    static let zip64EndSignature: UInt32 = 0x0606_4b50
    static let zip64LocatorSignature: UInt32 = 0x0706_4b50

    public init(buffer: ByteBuffer) throws {
        self.buffer = buffer
        let directory = try ZipDirectoryLocator(buffer: buffer).locate()
        var entries: [ZipEntry] = []
        var index: [String: Int] = [:]
        var cursor = ByteCursor(buffer: buffer, range: directory.range)
        for _ in 0..<directory.entryCount {
            let entry = try Self.readCentralEntry(&cursor, directoryStart: directory.range.lowerBound)
            guard index[entry.name] == nil else { throw cursor.error("duplicate archive member '\(entry.name)'") }
            index[entry.name] = entries.count
            entries.append(entry)
        }
        try Self.checkNoOverlap(entries, buffer: buffer)
        self.entries = entries
        self.index = index
    }

    public convenience init(url: URL) throws {
        try self.init(buffer: try ByteBuffer.mapping(url))
    }

    public func entry(named name: String) -> ZipEntry? { index[name].map { entries[$0] } }

    /// The member's bytes: a zero-copy slice for STORED members, an inflated copy for DEFLATE.
    /// The CRC-32 is always verified. An inflated member is charged to `budget` before anything
    /// is allocated; readers that inflate several members of one file share one budget, and
    /// without one a single member may still not expand beyond what the archive's size allows.
    public func contents(of entry: ZipEntry, budget: MaterializationBudget? = nil) throws -> ByteSlice {
        let stored = buffer.slice(entry.dataRange)
        let result = entry.isCompressed
            ? try inflate(stored, entry: entry, budget: budget ?? MaterializationBudget(sourceBytes: buffer.count))
            : stored
        let actual = ZipChecksum.crc32(result.bytes)
        guard actual == entry.crc32 else {
            throw buffer.error("member '\(entry.name)' fails its CRC-32 check (stored \(hex(entry.crc32)), computed \(hex(actual)))",
                               at: entry.dataRange.lowerBound)
        }
        return result
    }

    private func hex(_ value: UInt32) -> String { "0x" + String(value, radix: 16) }

    private static func readCentralEntry(_ cursor: inout ByteCursor, directoryStart: Int) throws -> ZipEntry {
        let start = cursor.position
        guard try cursor.readUInt32() == centralSignature else { throw cursor.error("bad central directory entry", at: start) }
        try cursor.skip(4)  // versions
        let flags = try cursor.readUInt16()
        let method = try cursor.readUInt16()
        try cursor.skip(4)  // time, date
        let crc = try cursor.readUInt32()
        var compressed = UInt64(try cursor.readUInt32())
        var uncompressed = UInt64(try cursor.readUInt32())
        let nameLength = Int(try cursor.readUInt16())
        let extraLength = Int(try cursor.readUInt16())
        let commentLength = Int(try cursor.readUInt16())
        try cursor.skip(8)  // disk, attributes
        var localOffset = UInt64(try cursor.readUInt32())
        let nameStart = cursor.position
        let nameBytes = try cursor.readSlice(nameLength, for: "a member name")
        let extra = try cursor.readSlice(extraLength, for: "an extra field")
        try cursor.skip(commentLength, for: "a member comment")

        guard let name = String(strictUTF8: nameBytes.bytes) else { throw cursor.error("member name is not UTF-8", at: nameStart) }
        let context = "member '\(name)'"
        guard flags & 1 == 0 else { throw cursor.error("\(context) is encrypted", at: start) }
        guard method == 0 || method == 8 else { throw cursor.error("\(context) uses compression method \(method) (only STORED and DEFLATE are supported)", at: start) }
        guard !name.hasPrefix("/"), !name.split(separator: "/").contains("..") else {
            throw cursor.error("\(context) has an unsafe path", at: nameStart)
        }
        try ZipExtraFields.applyZip64(extra, uncompressed: &uncompressed, compressed: &compressed, localOffset: &localOffset)
        let dataRange = try localDataRange(cursor.buffer, offset: localOffset, name: nameBytes, method: method,
                                           central: (crc, compressed, uncompressed), limit: directoryStart, context: context)
        guard method == 8 || compressed == uncompressed else {
            throw cursor.error("\(context) is stored but its sizes differ", at: start)
        }
        return ZipEntry(name: name, isCompressed: method == 8, crc32: crc, compressedSize: Int(compressed),
                        uncompressedSize: Int(clamping: uncompressed), dataRange: dataRange,
                        localHeaderOffset: Int(localOffset))
    }

    /// Data start = local header offset + 30 + local name length + local extra length.
    /// The local header must agree with the central directory: a reader that trusts the other copy (as
    /// many do) would otherwise see different data than toonkit checked.
    private static func localDataRange(_ buffer: ByteBuffer, offset: UInt64, name: ByteSlice, method: UInt16,
                                       central: (crc: UInt32, compressed: UInt64, uncompressed: UInt64),
                                       limit: Int, context: String) throws -> Range<Int> {
        let size = central.compressed
        guard offset < UInt64(limit) else { throw buffer.error("\(context) local header offset \(offset) is outside the file", at: nil) }
        var local = ByteCursor(buffer: buffer, range: Int(offset)..<limit)
        guard try local.readUInt32() == localSignature else { throw local.error("\(context) has no local header here", at: Int(offset)) }
        try local.skip(2)  // version
        let flags = try local.readUInt16()
        guard try local.readUInt16() == method else { throw local.error("\(context) local and central compression methods differ") }
        try local.skip(4)  // time, date
        let (crc, compressed, uncompressed) = (try local.readUInt32(), try local.readUInt32(), try local.readUInt32())
        // Bit 3: the sizes follow the data (and are zero here); 0xFFFFFFFF: they are in the Zip64 extra field.
        if flags & 8 == 0 && compressed != UInt32.max && uncompressed != UInt32.max {
            guard crc == central.crc, UInt64(compressed) == central.compressed, UInt64(uncompressed) == central.uncompressed else {
                throw local.error("\(context) local header disagrees with the central directory (CRC or sizes)", at: Int(offset))
            }
        }
        let nameLength = Int(try local.readUInt16())
        let extraLength = Int(try local.readUInt16())
        guard try local.readSlice(nameLength, for: "the local name").bytes.elementsEqual(name.bytes) else {
            throw local.error("\(context) local header names a different member")
        }
        try local.skip(extraLength, for: "the local extra field")
        guard size <= UInt64(local.remaining) else {
            throw local.error("\(context) declares \(size) bytes but only \(local.remaining) remain before the central directory")
        }
        return local.position..<(local.position + Int(size))
    }

    private static func checkNoOverlap(_ entries: [ZipEntry], buffer: ByteBuffer) throws {
        let sorted = entries.sorted { $0.dataRange.lowerBound < $1.dataRange.lowerBound }
        for (first, second) in zip(sorted, sorted.dropFirst()) where first.dataRange.upperBound > second.localHeaderOffset {
            throw buffer.error("members '\(first.name)' and '\(second.name)' overlap", at: second.dataRange.lowerBound)
        }
    }

    private func inflate(_ compressed: ByteSlice, entry: ZipEntry, budget: MaterializationBudget) throws -> ByteSlice {
        // Deflate cannot expand data by more than ~1032:1, so a larger declared size is a lie
        // that would only make us allocate.
        guard entry.uncompressedSize / 1032 <= compressed.count + 1 else {
            throw buffer.error("member '\(entry.name)' declares an impossible uncompressed size \(entry.uncompressedSize)", at: entry.dataRange.lowerBound)
        }
        do {
            try budget.charge(entry.uncompressedSize, for: "inflating member '\(entry.name)'")
        } catch let error as InteropError {
            throw buffer.error(error.message, at: entry.dataRange.lowerBound)
        }
        let location = SourceLocation(path: buffer.location.path, member: entry.name)
        let output: UnsafeMutableRawPointer
        do {
            output = try ZipInflater.inflate(compressed.bytes, expectedSize: entry.uncompressedSize)
        } catch let error as InteropError {
            throw buffer.error("member '\(entry.name)': \(error.message)", at: entry.dataRange.lowerBound)
        }
        return ByteBuffer.adopting(output, count: entry.uncompressedSize, location: location).whole
    }
}
