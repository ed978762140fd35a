import Foundation

/// Writes a zip archive of STORED members to a `FileSink` (torch.save `.pt` files, `.npz`, training data sets).
/// Member data can be aligned (torch uses 64 bytes) through a padding extra field, as torch's
/// own writer does; ZIP64 records are added when sizes, offsets or counts need them.
public final class ZipWriter {
    private struct Written {
        let name: [UInt8]
        let crc: UInt32
        let size: Int
        let headerOffset: Int
    }

    private let sink: FileSink
    private let alignment: Int
    private var written: [Written] = []
    private var names = Set<String>()

    public init(sink: FileSink, alignment: Int = 1) {
        self.sink = sink
        self.alignment = alignment
    }

    /// Adds a member whose content is the concatenation of `parts`.
    public func addStoredEntry(name: String, parts: [UnsafeRawBufferPointer]) throws {
        guard names.insert(name).inserted else { throw InteropError("duplicate archive member \(name)") }
        let nameBytes = Array(name.utf8)
        let size = parts.reduce(0) { $0 + $1.count }
        let crc = parts.reduce(UInt32(0)) { ZipChecksum.crc32($1, continuing: $0) }
        let needsZip64 = size >= 0xffff_ffff
        let headerOffset = sink.position
        var extra: [UInt8] = []
        if needsZip64 {
            extra += Self.field(ZipExtraFields.zip64ID, Self.littleEndian(UInt64(size)) + Self.littleEndian(UInt64(size)))
        }
        let unpadded = headerOffset + 30 + nameBytes.count + extra.count
        if alignment > 1, unpadded % alignment != 0 {
            // The padding field needs 4 header bytes, so pad to the next boundary that leaves room.
            let padding = (alignment - (unpadded + 4) % alignment) % alignment
            extra += Self.field(ZipExtraFields.paddingID, [UInt8](repeating: UInt8(ascii: "Z"), count: padding))
        }
        try sink.writeLittleEndian(ZipArchive.localSignature)
        try sink.writeLittleEndian(UInt16(needsZip64 ? 45 : 20))  // version needed
        try sink.writeLittleEndian(UInt16(0x0800))  // UTF-8 names
        try sink.writeLittleEndian(UInt16(0))  // STORED
        try sink.writeLittleEndian(UInt32(0))  // time, date
        try sink.writeLittleEndian(crc)
        let saturated = UInt32(min(size, 0xffff_ffff))
        try sink.writeLittleEndian(saturated)
        try sink.writeLittleEndian(saturated)
        try sink.writeLittleEndian(UInt16(nameBytes.count))
        try sink.writeLittleEndian(UInt16(extra.count))
        try sink.write(nameBytes)
        try sink.write(extra)
        for part in parts { try sink.write(part) }
        written.append(Written(name: nameBytes, crc: crc, size: size, headerOffset: headerOffset))
    }

    /// Writes the central directory and the end records.
    public func finish() throws {
        let directoryOffset = sink.position
        for entry in written { try writeCentralEntry(entry) }
        let directorySize = sink.position - directoryOffset
        let needsZip64 = written.count >= 0xffff || directoryOffset >= 0xffff_ffff || directorySize >= 0xffff_ffff
        if needsZip64 {
            let recordOffset = sink.position
            try sink.writeLittleEndian(ZipArchive.zip64EndSignature)
            try sink.writeLittleEndian(UInt64(44))
            try sink.writeLittleEndian(UInt16(45))
            try sink.writeLittleEndian(UInt16(45))
            try sink.writeLittleEndian(UInt64(0))  // disk numbers
            try sink.writeLittleEndian(UInt64(written.count))
            try sink.writeLittleEndian(UInt64(written.count))
            try sink.writeLittleEndian(UInt64(directorySize))
            try sink.writeLittleEndian(UInt64(directoryOffset))
            try sink.writeLittleEndian(ZipArchive.zip64LocatorSignature)
            try sink.writeLittleEndian(UInt32(0))
            try sink.writeLittleEndian(UInt64(recordOffset))
            try sink.writeLittleEndian(UInt32(1))
        }
        try sink.writeLittleEndian(ZipArchive.endSignature)
        try sink.writeLittleEndian(UInt32(0))  // disk numbers
        let count = UInt16(min(written.count, 0xffff))
        try sink.writeLittleEndian(count)
        try sink.writeLittleEndian(count)
        try sink.writeLittleEndian(UInt32(min(directorySize, 0xffff_ffff)))
        try sink.writeLittleEndian(UInt32(min(directoryOffset, 0xffff_ffff)))
        try sink.writeLittleEndian(UInt16(0))  // comment length
    }

    private func writeCentralEntry(_ entry: Written) throws {
        var zip64: [UInt8] = []
        if entry.size >= 0xffff_ffff { zip64 += Self.littleEndian(UInt64(entry.size)) + Self.littleEndian(UInt64(entry.size)) }
        if entry.headerOffset >= 0xffff_ffff { zip64 += Self.littleEndian(UInt64(entry.headerOffset)) }
        let extra = zip64.isEmpty ? [] : Self.field(ZipExtraFields.zip64ID, zip64)
        try sink.writeLittleEndian(ZipArchive.centralSignature)
        try sink.writeLittleEndian(UInt16(zip64.isEmpty ? 20 : 45))  // version made by
        try sink.writeLittleEndian(UInt16(zip64.isEmpty ? 20 : 45))  // version needed
        try sink.writeLittleEndian(UInt16(0x0800))
        try sink.writeLittleEndian(UInt16(0))
        try sink.writeLittleEndian(UInt32(0))
        try sink.writeLittleEndian(entry.crc)
        let saturated = UInt32(min(entry.size, 0xffff_ffff))
        try sink.writeLittleEndian(saturated)
        try sink.writeLittleEndian(saturated)
        try sink.writeLittleEndian(UInt16(entry.name.count))
        try sink.writeLittleEndian(UInt16(extra.count))
        try sink.writeLittleEndian(UInt16(0))  // comment
        try sink.writeLittleEndian(UInt16(0))  // disk
        try sink.writeLittleEndian(UInt16(0))  // internal attributes
        try sink.writeLittleEndian(UInt32(0))  // external attributes
        try sink.writeLittleEndian(UInt32(min(entry.headerOffset, 0xffff_ffff)))
        try sink.write(entry.name)
        try sink.write(extra)
    }

    private static func field(_ id: UInt16, _ payload: [UInt8]) -> [UInt8] {
        littleEndian(id) + littleEndian(UInt16(payload.count)) + payload
    }

    private static func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }
}
