import Foundation
import Testing
import Checkpoint
@testable import Interop

struct PickleMachineTests {
    typealias P = PickleBytes

    static func load(_ bytes: [UInt8], options: PickleOptions = PickleOptions()) throws -> PickleValue {
        try PickleMachine.loadWhole(ByteBuffer.copying(Data(bytes), location: SourceLocation(path: "test.pkl")).whole, options: options)
    }

    static func int(_ value: UInt8) -> [UInt8] { [0x4b, value] }

    @Test func protocolTwoSpellingsOfBytesAndSets() throws {
        // _codecs.encode('\u{0}\u{ff}', 'latin1') and __builtin__.set([1, 2, 2])
        let bytes = P.global("_codecs", "encode") + [0x58, 4, 0, 0, 0, 0x00, 0xc3, 0xbf, 0x41] + P.string("latin1") + [0x86] + P.reduce
        let set = P.global("__builtin__", "set") + [0x5d, 0x28] + Self.int(1) + Self.int(2) + Self.int(2) + [0x65, 0x85] + P.reduce
        let value = try Self.load(P.proto() + bytes + set + [0x86] + P.stop)
        let items = try #require(value.sequence)
        guard case .bytes(let slice) = items[0], case .set(let members) = items[1] else { Issue.record("\(value.typeName)"); return }
        #expect(Array(slice.bytes) == [0x00, 0xff, 0x41])
        #expect(members.items.compactMap(\.intValue) == [1, 2])
    }

    @Test func integersFloatsAndLongs() throws {
        let big: [UInt8] = [0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x00]  // 2^63 needs 9 bytes
        let minusOne: [UInt8] = [0x8a, 1, 0xff]
        let float: [UInt8] = [0x47, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0]  // 1.5, big-endian
        let negative: [UInt8] = [0x4a, 0xfe, 0xff, 0xff, 0xff]  // BININT -2
        let value = try Self.load(P.proto() + [0x28] + big + minusOne + float + negative + [0x74] + P.stop)
        let items = try #require(value.sequence)
        guard case .bigInt(let bytes) = items[0] else { Issue.record("2^63 is not a big int"); return }
        #expect(bytes == [0, 0, 0, 0, 0, 0, 0, 0x80, 0])
        #expect(items[1].intValue == -1 && items[2].doubleValue == 1.5 && items[3].intValue == -2)
    }

    @Test func memoSharesContainersByReference() throws {
        // d = {}; memo[0] = d; d['a'] = 1; (d, memo[0])
        let value = try Self.load(P.proto() + [0x7d, 0x71, 0] + P.string("a") + Self.int(1) + [0x73, 0x68, 0, 0x86] + P.stop)
        let items = try #require(value.sequence)
        #expect(items[0].dictValue === items[1].dictValue)
        #expect(items[1].dictValue?["a"]?.intValue == 1)
    }

    @Test func allowListedClassesBecomeInertNodes() throws {
        let easy = P.global("dnnlib.util", "EasyDict") + [0x29, 0x81, 0x28] + P.string("k") + Self.int(3) + [0x75]
        let namespace = P.global("argparse", "Namespace") + [0x29, 0x81, 0x7d] + P.string("size") + Self.int(32) + [0x73, 0x62]
        // numpy.core.multiarray.scalar(numpy.dtype('f8', False, True) + BUILD state, 8 bytes of 0.5)
        let dtype = P.global("numpy", "dtype") + P.string("f8") + [0x89, 0x88, 0x87] + P.reduce
            + [0x28] + Self.int(3) + P.string("<") + [0x4e, 0x4e, 0x4e, 0x4a, 0xff, 0xff, 0xff, 0xff, 0x4a, 0xff, 0xff, 0xff, 0xff] + Self.int(0) + [0x74, 0x62]
        let scalar = P.global("numpy.core.multiarray", "scalar") + dtype + [0x43, 8, 0, 0, 0, 0, 0, 0, 0xe0, 0x3f, 0x86] + P.reduce
        let value = try Self.load(P.proto() + [0x28] + easy + namespace + scalar + [0x74] + P.stop)
        let items = try #require(value.sequence)
        #expect(items[0].dictValue?.flavor == .easy && items[0].dictValue?["k"]?.intValue == 3)
        guard case .object(let object) = items[1] else { Issue.record("Namespace is \(items[1].typeName)"); return }
        #expect(object.className == "argparse.Namespace" && object.attributes?["size"]?.intValue == 32)
        #expect(items[2].doubleValue == 0.5)
    }

    @Test func persistentModulesKeepClassAndStateButNeverTheSource() throws {
        let meta = [0x7d, 0x28] + P.string("type") + P.string("class") + P.string("version") + Self.int(6)
            + P.string("module_src") + P.string("import os; os.system('rm -rf /')")
            + P.string("class_name") + P.string("Generator") + P.string("state") + [0x7d, 0x75]
        let value = try Self.load(P.proto() + P.global("torch_utils.persistence", "_reconstruct_persistent_obj") + P.tuple1(meta) + P.reduce + P.stop)
        let module = try #require(value.moduleValue)
        #expect(module.className == "Generator" && module.state.count == 0)
    }

    /// A whole-file legacy torch.save holding a transposed view and a view storage.
    static func legacyFile() -> [UInt8] {
        let header = P.legacyHeader
        func persistent(_ view: [UInt8]) -> [UInt8] {
            [0x28] + P.string("storage") + P.global("torch", "FloatStorage") + P.string("k1") + P.string("cpu") + Self.int(4) + view + [0x74, 0x51]
        }
        func tensor(_ storage: [UInt8], size: [UInt8], stride: [UInt8]) -> [UInt8] {
            P.global("torch._utils", "_rebuild_tensor_v2") + [0x28] + storage + Self.int(0)
                + [0x28] + size.flatMap { Self.int($0) } + [0x74, 0x28] + stride.flatMap { Self.int($0) } + [0x74]
                + [0x89] + P.global("collections", "OrderedDict") + [0x29, 0x52, 0x74, 0x52]
        }
        let view = [0x28] + P.string("v1") + Self.int(2) + Self.int(2) + [0x74]  // ('v1', offset 2, numel 2)
        let object = P.proto() + tensor(persistent([0x4e]), size: [2, 2], stride: [1, 2])
            + tensor(persistent(view), size: [2], stride: [1]) + [0x86] + P.stop
        let keys = P.proto() + [0x5d, 0x28] + P.string("k1") + [0x65] + P.stop
        let data = withUnsafeBytes(of: Int64(4).littleEndian, Array.init) + [Float(1), 2, 3, 4].flatMap { withUnsafeBytes(of: $0, Array.init) }
        return header + object + keys + data
    }

    @Test func legacyTorchSaveWithStridedViews() throws {
        let buffer = ByteBuffer.copying(Data(Self.legacyFile()), location: SourceLocation(path: "legacy.pt"))
        let items = try #require(try TorchFiles.readTorchSave(buffer).sequence)
        let transposed = try #require(items[0].tensorValue)
        #expect(!transposed.isContiguous)
        #expect(try transposed.materialize().floats() == [1, 3, 2, 4])
        let view = try #require(items[1].tensorValue).materialize()
        #expect(try view.floats() == [3, 4])
    }

    @Test func truncatedLegacyFilesFailAtEveryLength() throws {
        let file = Self.legacyFile()
        for length in 0..<file.count {
            let buffer = ByteBuffer.copying(Data(file.prefix(length)), location: SourceLocation(path: "legacy.pt"))
            #expect(throws: InteropError.self, "length \(length)") { try TorchFiles.readTorchSave(buffer) }
        }
    }

    @Test func limitsBoundWhatAPickleMayAllocate() throws {
        var options = PickleOptions()
        options.limits.maxObjects = 100
        let many = P.proto() + [0x28] + [UInt8](repeating: 0x4e, count: 200) + [0x74] + P.stop
        let error = try #require(throws: InteropError.self) { try Self.load(many, options: options) }
        #expect(error.message.contains("more than 100 objects"))
        #expect(try Self.load(many).sequence?.count == 200)
    }

    /// Level k is a tuple (or list) of `width` references to level k−1: width^depth values when
    /// expanded, width·depth opcodes in the file.
    static func sharedLevels(depth: Int, width: Int, list: Bool) -> [UInt8] {
        var bytes = P.proto() + [0x4e]
        for level in 0..<depth {
            bytes += [0x71, UInt8(level), 0x30]  // BINPUT level, POP
            bytes += list ? [0x5d, 0x28] : [0x28]
            bytes += [UInt8](repeating: 0, count: width).flatMap { _ in [0x68, UInt8(level)] }
            bytes += list ? [0x65] : [0x74]
        }
        return bytes + P.stop
    }

    @Test func sharedStructuresCostLinearTime() throws {
        // 1000^8 values if anything walked the expansion; building and freezing must not.
        let value = try Self.load(Self.sharedLevels(depth: 8, width: 1000, list: false))
        #expect(value.sequence?.count == 1000)
        let lists = try Self.load(Self.sharedLevels(depth: 8, width: 1000, list: true))
        let error = try #require(throws: InteropError.self) { try lists.json() }
        #expect(error.message.contains("metadata too large"))
    }

    @Test func sharedStringsCountByTheirTextInMetadata() throws {
        // One 1 MiB string, referenced 20 times: 20 MiB once the metadata document is written.
        let text = [0x58] + withUnsafeBytes(of: UInt32(1 << 20).littleEndian, Array.init) + [UInt8](repeating: 0x61, count: 1 << 20)
        let pickle = P.proto() + text + [0x71, 0, 0x30, 0x5d, 0x28] + [UInt8](repeating: 0, count: 20).flatMap { _ in [0x68, 0] } + [0x65] + P.stop
        let shared = try Self.load(pickle)
        let error = try #require(throws: InteropError.self) { try shared.json() }
        #expect(error.message.contains("16 MiB of text"))
    }

    @Test func largeOrNestedKeysAreRefused() throws {
        let wide = P.proto() + [0x7d, 0x28] + [UInt8](repeating: 0x4e, count: 17) + [0x74, 0x4e, 0x73] + P.stop
        let error = try #require(throws: InteropError.self) { try Self.load(wide) }
        #expect(error.message.contains("unsupported dict key"))
    }

    @Test func aModuleReachedTwiceIsRefused() throws {
        func module(_ name: String, modules: [UInt8]) -> [UInt8] {
            P.global("torch_utils.persistence", "_reconstruct_persistent_obj")
                + [0x7d, 0x28] + P.string("class_name") + P.string(name) + P.string("state")
                + [0x7d, 0x28] + P.string("_modules") + modules + [0x75, 0x75, 0x85] + P.reduce
        }
        let leaf = module("Leaf", modules: [0x7d]) + [0x71, 0]
        let root = module("Root", modules: [0x7d, 0x28] + P.string("a") + leaf + P.string("b") + [0x68, 0, 0x75])
        let pickle = P.proto() + [0x7d] + P.string("G_ema") + root + [0x73] + P.stop
        let value = try Self.load(pickle)
        let error = try #require(throws: InteropError.self) { try NvidiaPickleImporter.read(value) }
        #expect(error.message.contains("appears twice"))
    }
}
