import CZlib
import Foundation

/// Raw DEFLATE streams of zeros that inflate to gigabytes from a few megabytes: one block of 1 MiB of zeros,
/// compressed with a full flush (so it refers to nothing before it) and repeated, then a final block.
enum DeflateBomb {
    static let chunkSize = 1 << 20

    /// The stream and CRC-32 of `count` zero bytes.
    static func zeros(_ count: Int) -> (stream: Data, crc: UInt32) {
        let chunk = deflateRaw(Data(count: chunkSize), flush: Z_FULL_FLUSH)
        var stream = Data(capacity: chunk.count * (count / chunkSize) + 64)
        for _ in 0..<(count / chunkSize) { stream.append(chunk) }
        stream.append(deflateRaw(Data(count: count % chunkSize), flush: Z_FINISH))
        return (stream, crc32OfZeros(count))
    }

    /// A zlib stream (header, DEFLATE, Adler-32), as PNG's IDAT holds.
    static func zlibZeros(_ count: Int) -> Data {
        let adler = UInt32(count % 65521) << 16 | 1  // Adler-32 of zeros: a stays 1, b adds 1 per byte
        return Data([0x78, 0xDA]) + zeros(count).stream + bigEndian(adler)
    }

    static func crc32OfZeros(_ count: Int) -> UInt32 {
        let chunkCRC = Data(count: chunkSize).withUnsafeBytes { crc32(0, $0.bindMemory(to: Bytef.self).baseAddress, uInt(chunkSize)) }
        var crc: uLong = 0
        for _ in 0..<(count / chunkSize) { crc = crc32_combine(crc, chunkCRC, off_t(chunkSize)) }
        let rest = Data(count: count % chunkSize)
        let restCRC = rest.withUnsafeBytes { crc32(0, $0.bindMemory(to: Bytef.self).baseAddress, uInt(rest.count)) }
        return UInt32(crc32_combine(crc, restCRC, off_t(rest.count)))
    }

    private static func deflateRaw(_ input: Data, flush: Int32) -> Data {
        var stream = z_stream()
        deflateInit2_(&stream, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        defer { deflateEnd(&stream) }
        var input = input
        var output = Data(count: Int(deflateBound(&stream, uLong(input.count))) + 64)
        let produced = input.withUnsafeMutableBytes { source in
            output.withUnsafeMutableBytes { target in
                stream.next_in = source.bindMemory(to: Bytef.self).baseAddress
                stream.avail_in = uInt(source.count)
                stream.next_out = target.bindMemory(to: Bytef.self).baseAddress
                stream.avail_out = uInt(target.count)
                deflate(&stream, flush)
                return target.count - Int(stream.avail_out)
            }
        }
        return output.prefix(produced)
    }
}

func bigEndian(_ value: UInt32) -> Data { withUnsafeBytes(of: value.bigEndian) { Data($0) } }
func littleEndian<T: FixedWidthInteger>(_ value: T) -> Data { withUnsafeBytes(of: value.littleEndian) { Data($0) } }

func crc32(of data: Data) -> UInt32 {
    data.withUnsafeBytes { UInt32(crc32(0, $0.bindMemory(to: Bytef.self).baseAddress, uInt($0.count))) }
}

/// A zip writer for test inputs: STORED members, pre-compressed DEFLATE members with any declared size,
/// extra central entries that point at an earlier member's bytes, and ZIP64 end records past 65 535 entries.
struct ZipBuilder {
    private struct Entry { var name: Data; var method: UInt16; var crc: UInt32; var compressed: UInt32; var size: UInt32; var offset: UInt32 }
    private var body = Data()
    private var entries: [Entry] = []

    mutating func addStored(_ name: String, _ data: Data) {
        add(name, method: 0, payload: data, crc: crc32(of: data), declaredSize: UInt32(data.count))
    }

    mutating func addDeflated(_ name: String, stream: Data, crc: UInt32, declaredSize: UInt32) {
        add(name, method: 8, payload: stream, crc: crc, declaredSize: declaredSize)
    }

    /// A central-directory entry named `name` for the bytes of entry `index` (overlapping members).
    mutating func addAlias(_ name: String, of index: Int) {
        var entry = entries[index]
        entry.name = Data(name.utf8)
        entries.append(entry)
    }

    private mutating func add(_ name: String, method: UInt16, payload: Data, crc: UInt32, declaredSize: UInt32) {
        let entry = Entry(name: Data(name.utf8), method: method, crc: crc, compressed: UInt32(payload.count),
                          size: declaredSize, offset: UInt32(body.count))
        body += littleEndian(UInt32(0x0403_4B50)) + littleEndian(UInt16(20)) + littleEndian(UInt16(0)) + littleEndian(method)
        body += littleEndian(UInt32(0x0021_0000)) + littleEndian(crc) + littleEndian(entry.compressed) + littleEndian(declaredSize)
        body += littleEndian(UInt16(entry.name.count)) + littleEndian(UInt16(0)) + entry.name + payload
        entries.append(entry)
    }

    func finished() -> Data {
        var directory = Data()
        for entry in entries {
            directory += littleEndian(UInt32(0x0201_4B50)) + littleEndian(UInt16(20)) + littleEndian(UInt16(20)) + littleEndian(UInt16(0))
            directory += littleEndian(entry.method) + littleEndian(UInt32(0x0021_0000)) + littleEndian(entry.crc)
            directory += littleEndian(entry.compressed) + littleEndian(entry.size) + littleEndian(UInt16(entry.name.count))
            directory += Data(count: 8) + littleEndian(UInt32(0)) + littleEndian(entry.offset) + entry.name
        }
        var archive = body + directory
        let count = entries.count, directoryOffset = body.count
        if count > 0xFFFF {
            let zip64End = archive.count
            archive += littleEndian(UInt32(0x0606_4B50)) + littleEndian(UInt64(44)) + littleEndian(UInt16(45)) + littleEndian(UInt16(45))
            archive += Data(count: 8) + littleEndian(UInt64(count)) + littleEndian(UInt64(count))
            archive += littleEndian(UInt64(directory.count)) + littleEndian(UInt64(directoryOffset))
            archive += littleEndian(UInt32(0x0706_4B50)) + littleEndian(UInt32(0)) + littleEndian(UInt64(zip64End)) + littleEndian(UInt32(1))
        }
        let shortCount = UInt16(min(count, 0xFFFF))
        archive += littleEndian(UInt32(0x0605_4B50)) + Data(count: 4) + littleEndian(shortCount) + littleEndian(shortCount)
        archive += littleEndian(UInt32(directory.count)) + littleEndian(UInt32(directoryOffset)) + littleEndian(UInt16(0))
        return archive
    }
}

/// Inputs too big to commit, made from the manifest's `build` description.
enum LargeInputs {
    /// A zip whose `member` inflates to `inflated` zero bytes (declaring `declared`), repeated as `copies` central
    /// entries; with `pickle`, a torch.save archive whose data.pkl refers to it.
    static func zipBomb(_ build: HostileCase.Build, corpus: URL) throws -> Data {
        var zip = ZipBuilder()
        if let pickle = build.pickle {
            zip.addStored("archive/data.pkl", try Data(contentsOf: corpus.appendingPathComponent(pickle)))
            zip.addStored("archive/byteorder", Data("little".utf8))
        }
        let inflated = build.inflated ?? 3 << 30
        let (stream, crc) = DeflateBomb.zeros(inflated)
        zip.addDeflated(build.member ?? "archive/data/0", stream: stream, crc: crc, declaredSize: UInt32(build.declared ?? inflated))
        let bombIndex = build.pickle == nil ? 0 : 2
        for copy in 1..<max(build.copies ?? 1, 1) { zip.addAlias("archive/data/\(copy)", of: bombIndex) }
        return zip.finished()
    }

    /// A grayscale PNG of side × side pixels whose IDAT is a DEFLATE bomb of zero rows.
    static func pngBomb(side: Int) -> Data {
        func chunk(_ type: String, _ data: Data) -> Data {
            let body = Data(type.utf8) + data
            return bigEndian(UInt32(data.count)) + body + bigEndian(crc32(of: body))
        }
        let header = bigEndian(UInt32(side)) + bigEndian(UInt32(side)) + Data([8, 0, 0, 0, 0])
        return Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) + chunk("IHDR", header)
            + chunk("IDAT", DeflateBomb.zlibZeros(side * (side + 1))) + chunk("IEND", Data())
    }

    /// A pickle whose training_set_kwargs hold one LONG4 integer of `bytes` bytes.
    static func long4Pickle(bytes: Int) -> Data {
        var data = Data([0x80, 0x02, 0x7D]) + shortUnicode("training_set_kwargs") + Data([0x7D]) + shortUnicode("max_size")
        data += Data([0x8B]) + littleEndian(UInt32(bytes)) + Data(repeating: 0x5A, count: bytes)
        return data + Data("ss.".utf8)
    }

    /// `depth` nested lists (`]`…`a`) or tuples (`(`…`t`).
    static func deepPickle(depth: Int, opener: String, closer: String) -> Data {
        Data([0x80, 0x02]) + Data(String(repeating: opener, count: depth).utf8)
            + Data(String(repeating: closer, count: opener == "]" ? depth - 1 : depth).utf8) + Data(".".utf8)
    }

    /// A safetensors file whose JSON header lists `entries` one-element tensors sharing the same four bytes.
    static func safetensorsHugeHeader(entries: Int) -> Data {
        var header = "{"
        for index in 0..<entries {
            header += (index == 0 ? "" : ",") + "\"t\(index)\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}"
        }
        header += "}"
        return littleEndian(UInt64(header.utf8.count)) + Data(header.utf8) + Data(count: 4)
    }

    /// A zip data set of `entries` empty members named like PNGs.
    static func zipWithManyEntries(_ entries: Int) -> Data {
        var zip = ZipBuilder()
        for index in 0..<entries { zip.addStored("\(index).png", Data()) }
        return zip.finished()
    }

    private static func shortUnicode(_ text: String) -> Data { Data([0x8C, UInt8(text.utf8.count)]) + Data(text.utf8) }
}
