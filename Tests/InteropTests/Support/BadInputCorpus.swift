import Foundation
import Checkpoint
import Networks
@testable import Interop

/// A corpus of broken and hostile files: truncations and bit flips of the fixtures, handcrafted
/// pickles, zips and safetensors. Every case must end in a thrown error.
struct BadInputCorpus {
    struct Case {
        let name: String
        let bytes: [UInt8]
        /// Text the error message must contain (e.g. the refused global).
        var mentions: String? = nil
    }

    private(set) var cases: [Case] = []
    /// Set when a hostile pickle would have run it: it must never appear.
    let canary = FileManager.default.temporaryDirectory.appendingPathComponent("toonkit-canary-\(UUID().uuidString)").path

    init(fixtures: URL) throws {
        try addTruncations(fixtures)
        try addBitFlips(fixtures)
        addHandcraftedPickles()
        addTorchAndZipCases()
        addSafetensorsCases()
        addNumpyCases()
        addHostileCases()
        try addTensorFlowCases(fixtures)
    }

    mutating func add(_ name: String, _ bytes: [UInt8], mentions: String? = nil) {
        cases.append(Case(name: name, bytes: bytes, mentions: mentions))
    }

    private mutating func addTruncations(_ fixtures: URL) throws {
        let pickle = Array(try Data(contentsOf: fixtures.appendingPathComponent("tiny32.pkl")))
        for length in [0, 1, 2, 11, 12, 40, 300, 38_000, 41_000, 100_000, pickle.count / 2, pickle.count - 2, pickle.count - 1] {
            add("tiny32.pkl truncated to \(length)", Array(pickle.prefix(length)))
        }
        let torch = Array(try Data(contentsOf: fixtures.appendingPathComponent("tiny32.rosinality.pt")))
        for length in [4, 100, 7_000, torch.count / 2, torch.count - 23, torch.count - 1] {
            add("tiny32.rosinality.pt truncated to \(length)", Array(torch.prefix(length)))
        }
    }

    private mutating func addBitFlips(_ fixtures: URL) throws {
        let pickle = Array(try Data(contentsOf: fixtures.appendingPathComponent("tiny32.pkl")))
        // Opcode bytes of the snapshot header (PROTO, FRAME, EMPTY_DICT, MEMOIZE, MARK): flipping
        // their high bit leaves no valid opcode.
        for offset in [0, 2, 11, 12, 13] {
            var flipped = pickle
            flipped[offset] ^= 0x80
            add("tiny32.pkl with bit 7 of byte \(offset) flipped", flipped)
        }
        // Zip members carry CRC-32s, so any flip in a member or a header is caught.
        let torch = Array(try Data(contentsOf: fixtures.appendingPathComponent("tiny32.state_dict.pt")))
        for offset in [0, 64 + 5, 20_000, 100_000, torch.count - 10] {
            var flipped = torch
            flipped[offset] ^= 0x01
            add("tiny32.state_dict.pt with bit 0 of byte \(offset) flipped", flipped)
        }
    }

    private mutating func addHandcraftedPickles() {
        typealias P = PickleBytes
        let command = "touch \(canary)"
        add("os.system via GLOBAL", P.call("os", "system", command), mentions: "os.system")
        add("builtins.eval via STACK_GLOBAL", P.call("builtins", "eval", "__import__('os')", stack: true), mentions: "builtins.eval")
        add("subprocess.Popen", P.call("subprocess", "Popen", command), mentions: "subprocess.Popen")
        add("posix.system", P.call("posix", "system", command), mentions: "posix.system")
        add("nt.system", P.call("nt", "system", command), mentions: "nt.system")
        add("__builtin__.exec", P.call("__builtin__", "exec", "pass"), mentions: "__builtin__.exec")
        add("torch.load inside a pickle", P.call("torch", "load", "x.pt"), mentions: "torch.load")
        add("REDUCE of a storage type", P.proto() + P.global("torch", "FloatStorage") + [0x29] + P.reduce + P.stop, mentions: "REDUCE")
        add("REDUCE of a string", P.proto() + P.string("os") + [0x29] + P.reduce + P.stop, mentions: "REDUCE")
        add("NEWOBJ of OrderedDict with arguments", P.proto() + P.global("collections", "OrderedDict") + P.tuple1([0x4b, 1]) + [0x81] + P.stop)
        add("_codecs.encode with another codec", P.proto() + P.global("_codecs", "encode") + P.string("x") + P.string("rot13") + [0x86] + P.reduce + P.stop)
        add("BUILD on a plain dict", P.proto() + [0x7d, 0x7d, 0x62] + P.stop, mentions: "BUILD")
        add("SETITEM on a list", P.proto() + [0x5d, 0x4b, 1, 0x4b, 2, 0x73] + P.stop, mentions: "not a dict")
        add("APPEND on a dict", P.proto() + [0x7d, 0x4b, 1, 0x61] + P.stop, mentions: "not a list")
        add("stack underflow", P.proto() + [0x73] + P.stop, mentions: "underflow")
        add("TUPLE without MARK", P.proto() + [0x4b, 1, 0x74] + P.stop, mentions: "MARK")
        add("undefined memo index", P.proto() + [0x68, 5] + P.stop, mentions: "memo")
        add("PROTO in the middle", P.proto() + [0x4e] + P.proto() + P.stop, mentions: "PROTO")
        add("unsupported protocol", P.proto(9) + [0x4e] + P.stop, mentions: "protocol")
        add("invalid opcode", P.proto() + [0xff] + P.stop, mentions: "invalid opcode")
        add("protocol 0 INT opcode", P.proto() + Array("I1\n".utf8) + P.stop, mentions: "protocol 0")
        add("EXT1 opcode", P.proto() + [0x82, 1] + P.stop, mentions: "EXT")
        add("INST opcode", P.proto() + Array("ios\nsystem\n".utf8) + P.stop, mentions: "INST")
        add("out-of-band buffer", P.proto(5) + [0x97] + P.stop, mentions: "out-of-band")
        add("invalid UTF-8 in BINUNICODE", P.proto() + [0x58, 2, 0, 0, 0, 0xc3, 0x28] + P.stop, mentions: "UTF-8")
        add("invalid UTF-8 in SHORT_BINUNICODE", P.proto(4) + [0x8c, 1, 0xff] + P.stop, mentions: "UTF-8")
        add("huge BINUNICODE8 length", P.proto(4) + [0x8d] + [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f] + P.stop, mentions: "remain")
        add("huge BINBYTES length", P.proto(3) + [0x42, 0xff, 0xff, 0xff, 0xff] + P.stop, mentions: "remain")
        add("huge LONG4 length", P.proto() + [0x8b, 0xff, 0xff, 0xff, 0x7f] + P.stop, mentions: "remain")
        add("huge FRAME length", P.proto(4) + [0x95, 0, 0, 0, 0, 0, 0, 0, 1] + P.stop, mentions: "FRAME")
        add("two values at STOP", P.proto() + [0x4e, 0x4e] + P.stop, mentions: "STOP")
        add("trailing bytes after STOP", P.proto() + [0x4e] + P.stop + [0x4e], mentions: "after the pickle")
        add("self-containing list", P.proto() + [0x5d, 0x71, 0, 0x68, 0, 0x61] + P.stop, mentions: "itself")
        add("nesting 200 deep", P.proto() + [0x4e] + [UInt8](repeating: 0x85, count: 200) + P.stop, mentions: "nesting")
        add("list mutated after being stored", P.proto() + [0x5d, 0x71, 0, 0x85, 0x68, 0, 0x4e, 0x61] + P.stop, mentions: "modified")
        add("persistent id in a plain pickle", P.proto() + P.string("x") + [0x51] + P.stop, mentions: "persistent")
        add("a pickle that is not a network dict", P.proto() + [0x5d] + P.stop)
        add("a legacy stream with a wrong magic number", [0x80, 0x02, 0x8a, 0x0a] + LegacyTorchFormat.magic.reversed() + P.stop)
        // A legacy torch.save prefix with the right magic but nothing after it.
        add("legacy torch.save header only", LegacyTorchFormat.prefix + P.stop)
    }

    private mutating func addTorchAndZipCases() {
        typealias P = PickleBytes
        let floats = [UInt8](repeating: 0, count: 16)
        add("torch zip: storage smaller than declared", Self.zip([("a/data.pkl", P.stateDict(P.tensor(size: [4], stride: [1], numel: 8))), ("a/data/0", floats)]),
            mentions: "declares")
        add("torch zip: view outside its storage", Self.zip([("a/data.pkl", P.stateDict(P.tensor(size: [5], stride: [1]))), ("a/data/0", floats)]),
            mentions: "outside its storage")
        add("torch zip: missing storage member", Self.zip([("a/data.pkl", P.stateDict(P.tensor(size: [4], stride: [1], key: "7")))]),
            mentions: "no member")
        add("torch zip: no data.pkl", Self.zip([("a/other", floats)]), mentions: "data.pkl")
        // ZipWriter refuses duplicates, so write two names and make them equal afterwards.
        add("zip: duplicate member names", Self.replacing(Self.zip([("a/data.pkl", floats), ("a/data.pkZ", floats)]),
                                                          Array("data.pkZ".utf8), with: Array("data.pkl".utf8)), mentions: "duplicate")
        add("zip: member path with ..", Self.zip([("a/../../etc/passwd", floats)]), mentions: "unsafe path")
        var encrypted = Self.zip([("a/data.pkl", floats)])
        Self.patchCentral(&encrypted, field: 8, value: 1)  // general-purpose flag bit 0
        add("zip: encrypted member", encrypted, mentions: "encrypted")
        var bzip = Self.zip([("a/data.pkl", floats)])
        Self.patchCentral(&bzip, field: 10, value: 12)
        add("zip: unsupported compression method", bzip, mentions: "compression method")
        var outside = Self.zip([("a/data.pkl", floats)])
        Self.patchCentral(&outside, field: 42, value: 0xfff0, width: 4)  // local header offset
        add("zip: member offset outside the file", outside, mentions: "outside")
        var huge = Self.zip([("a/data.pkl", floats)])
        Self.patchSizes(&huge, compressed: 0x7fff_fff0, uncompressed: 0x7fff_fff0)
        add("zip: member size larger than the file", huge, mentions: "remain")
        var disagreeing = Self.zip([("a/data.pkl", floats)])
        Self.patchCentral(&disagreeing, field: 20, value: 2, width: 4)
        Self.patchCentral(&disagreeing, field: 24, value: 2, width: 4)
        add("zip: central directory sizes disagree with the local header", disagreeing, mentions: "local header disagrees")
        var directory = Self.zip([("a/data.pkl", floats)])
        directory[directory.count - 10] = 0xff  // central directory size
        add("zip: central directory size beyond the file", directory, mentions: "central directory")
    }

    private mutating func addSafetensorsCases() {
        func file(_ header: String, data: Int) -> [UInt8] {
            let json = Array(header.utf8)
            return withUnsafeBytes(of: UInt64(json.count).littleEndian, Array.init) + json + [UInt8](repeating: 0, count: data)
        }
        let entry = { (name: String, begin: Int, end: Int) in "\"\(name)\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[\(begin),\(end)]}" }
        add("safetensors: overlapping offsets", file("{\(entry("a", 0, 8)),\(entry("b", 4, 12))}", data: 12), mentions: "tile")
        add("safetensors: hole between tensors", file("{\(entry("a", 0, 8)),\(entry("b", 12, 20))}", data: 20), mentions: "tile")
        add("safetensors: data longer than the tensors", file("{\(entry("a", 0, 8))}", data: 16), mentions: "data section")
        add("safetensors: size does not match the shape", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", data: 8), mentions: "needs")
        add("safetensors: unknown dtype", file("{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[8],\"data_offsets\":[0,8]}}", data: 8), mentions: "dtype")
        add("safetensors: duplicate keys", file("{\(entry("a", 0, 8)),\(entry("a", 0, 8))}", data: 8), mentions: "duplicate")
        add("safetensors: header is not JSON", file("{not json}", data: 0), mentions: "JSON")
        add("safetensors: numeric metadata", file("{\"__metadata__\":{\"x\":1},\(entry("a", 0, 8))}", data: 8), mentions: "metadata")
        add("safetensors: header longer than the file", withUnsafeBytes(of: UInt64(1 << 20).littleEndian, Array.init) + Array("{}".utf8), mentions: "longer")
        add("safetensors: header over 100 MB", withUnsafeBytes(of: UInt64(200_000_000).littleEndian, Array.init) + Array("{}".utf8), mentions: "limit")
        let implausible = Architecture(resolution: 1 << 40, zDim: 1, wDim: 1, mappingLayers: 1, channelBase: 1, channelMax: 1)
        let architecture = String(decoding: try! JSONEncoder().encode(implausible), as: UTF8.self)
            .replacingOccurrences(of: "\"", with: "\\\"")
        add("safetensors: implausible architecture metadata",
            file("{\"__metadata__\":{\"toonkit.architecture\":\"\(architecture)\"},\"synthesis.b4.const\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", data: 8),
            mentions: "resolution 1099511627776")
        add("safetensors: block names far beyond any resolution",
            file("{\"synthesis.b4.const\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"synthesis.b4611686018427387904.x\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,8]}}", data: 8),
            mentions: "block resolutions")
        add("safetensors: offsets overflow", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[4503599627370496,4503599627370496],\"data_offsets\":[0,8]}}", data: 8),
            mentions: "overflow")
    }

    private mutating func addNumpyCases() {
        let npy = Array(NumpyArray.magic) + [1, 0]
        func header(_ text: String) -> [UInt8] { npy + [UInt8(text.utf8.count), 0] + Array(text.utf8) }
        add("npy given to import", header("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }") + [0, 0, 0, 0], mentions: "numpy")
        add("wrong magic", Array("NOTAFILE-at-all".utf8), mentions: "unrecognized")
    }

    // MARK: zip helpers

    static func zip(_ members: [(String, [UInt8])]) -> [UInt8] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("corpus-\(UUID().uuidString).zip")
        defer { try? FileManager.default.removeItem(at: folder) }
        try! AtomicFile.write(to: folder) { sink in
            let writer = ZipWriter(sink: sink)
            for (name, bytes) in members {
                try bytes.withUnsafeBytes { try writer.addStoredEntry(name: name, parts: [$0]) }
            }
            try writer.finish()
        }
        return Array(try! Data(contentsOf: folder))
    }

    static func replacing(_ bytes: [UInt8], _ pattern: [UInt8], with replacement: [UInt8]) -> [UInt8] {
        var result = bytes
        for start in 0...(bytes.count - pattern.count) where Array(bytes[start..<(start + pattern.count)]) == pattern {
            result.replaceSubrange(start..<(start + pattern.count), with: replacement)
        }
        return result
    }

    /// Overwrites a field of the first central directory entry.
    /// Sets a field of the first member's central directory record.
    static func patchCentral(_ bytes: inout [UInt8], field: Int, value: UInt32, width: Int = 2) {
        patch(&bytes, record: [0x50, 0x4b, 0x01, 0x02], field: field, value: value, width: width)
    }

    /// Sets the first member's compressed and uncompressed sizes in both of its headers, so that the lie
    /// reaches the checks behind the one that the two headers agree.
    static func patchSizes(_ bytes: inout [UInt8], compressed: UInt32? = nil, uncompressed: UInt32? = nil) {
        for (record, offset) in [([UInt8]([0x50, 0x4b, 0x01, 0x02]), 20), ([0x50, 0x4b, 0x03, 0x04], 18)] {
            if let compressed { patch(&bytes, record: record, field: offset, value: compressed, width: 4) }
            if let uncompressed { patch(&bytes, record: record, field: offset + 4, value: uncompressed, width: 4) }
        }
    }

    private static func patch(_ bytes: inout [UInt8], record signature: [UInt8], field: Int, value: UInt32, width: Int) {
        let start = (0...(bytes.count - 4)).first { Array(bytes[$0..<($0 + 4)]) == signature }!
        for index in 0..<width { bytes[start + field + index] = UInt8((value >> (8 * UInt32(index))) & 0xff) }
    }
}
