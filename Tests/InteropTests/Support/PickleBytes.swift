import Foundation
@testable import Interop

/// Hand-written pickle fragments for the corpus.
enum PickleBytes {
    static func proto(_ version: UInt8 = 2) -> [UInt8] { [0x80, version] }
    static func global(_ module: String, _ name: String) -> [UInt8] { [0x63] + Array("\(module)\n\(name)\n".utf8) }
    static func stackGlobal(_ module: String, _ name: String) -> [UInt8] { string(module) + string(name) + [0x93] }
    static func string(_ text: String) -> [UInt8] { [0x8c, UInt8(text.utf8.count)] + Array(text.utf8) }
    static func tuple1(_ item: [UInt8]) -> [UInt8] { item + [0x85] }
    static let reduce: [UInt8] = [0x52]
    static let stop: [UInt8] = [0x2e]

    /// BININT1 for small values, an 8-byte LONG1 otherwise.
    static func int(_ value: Int) -> [UInt8] {
        (0..<256).contains(value) ? [0x4b, UInt8(value)] : [0x8a, 8] + withUnsafeBytes(of: Int64(value).littleEndian, Array.init)
    }

    /// `module.name(argument)` as GLOBAL + TUPLE1 + REDUCE.
    static func call(_ module: String, _ name: String, _ argument: String, stack: Bool = false) -> [UInt8] {
        proto(stack ? 4 : 2) + (stack ? stackGlobal(module, name) : global(module, name)) + tuple1(string(argument)) + reduce + stop
    }

    /// A torch.save zip persistent id: `('storage', torch.FloatStorage, key, 'cpu', numel)`.
    static func persistentStorage(key: String, numel: Int) -> [UInt8] {
        [0x28] + string("storage") + global("torch", "FloatStorage") + string(key) + string("cpu") + int(numel) + [0x74, 0x51]
    }

    /// `torch._utils._rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict())`.
    static func tensor(size: [Int], stride: [Int], key: String = "0", numel: Int = 4) -> [UInt8] {
        global("torch._utils", "_rebuild_tensor_v2") + [0x28] + persistentStorage(key: key, numel: numel)
            + int(0) + [0x28] + size.flatMap(int) + [0x74] + [0x28] + stride.flatMap(int) + [0x74]
            + [0x89] + global("collections", "OrderedDict") + [0x29, 0x52, 0x74, 0x52]
    }

    /// A state dict pickle `{name: value, …}` (one value, named like a generator's first tensor, by default).
    static func stateDict(_ value: [UInt8]) -> [UInt8] { stateDict(entries: [("synthesis.b4.const", value)]) }

    static func stateDict(entries: [(name: String, value: [UInt8])]) -> [UInt8] {
        proto() + [0x7d] + entries.flatMap { string($0.name) + $0.value + [0x73] } + stop
    }

    /// A legacy torch.save stream's first three pickles: magic, protocol 1001, little-endian sys info.
    static let legacyHeader = LegacyTorchFormat.prefix + stop + proto() + [0x4d, 0xe9, 0x03] + stop
        + proto() + [0x7d, 0x28] + string("little_endian") + [0x88, 0x75] + stop

    /// What NVIDIA pickles embed per storage: a legacy stream holding one FloatStorage of `floats`.
    static func legacyStorageBlob(_ floats: [Float]) -> [UInt8] {
        let storage = proto() + [0x28] + string("storage") + global("torch", "FloatStorage") + string("k") + string("cpu")
            + int(floats.count) + [0x4e, 0x74, 0x51] + stop
        let keys = proto() + [0x5d, 0x28] + string("k") + [0x65] + stop
        return legacyHeader + storage + keys + withUnsafeBytes(of: Int64(floats.count).littleEndian, Array.init)
            + floats.flatMap { withUnsafeBytes(of: $0, Array.init) }
    }

    /// An NVIDIA network pickle `{'G_ema': Generator}` whose one parameter `w` is a view of an
    /// embedded storage of `floats`.
    static func nvidiaPickle(size: [Int], stride: [Int], floats: [Float]) -> [UInt8] {
        let blob = legacyStorageBlob(floats)
        let storage = global("torch.storage", "_load_from_bytes") + [0x42] + withUnsafeBytes(of: UInt32(blob.count).littleEndian, Array.init)
            + blob + [0x85] + reduce
        let tensor = global("torch._utils", "_rebuild_tensor_v2") + [0x28] + storage + int(0)
            + [0x28] + size.flatMap(int) + [0x74, 0x28] + stride.flatMap(int) + [0x74]
            + [0x89] + global("collections", "OrderedDict") + [0x29, 0x52, 0x74, 0x52]
        let meta = [0x7d, 0x28] + string("class_name") + string("Generator") + string("state")
            + [0x7d, 0x28] + string("_parameters") + [0x7d] + string("w") + tensor + [0x73, 0x75, 0x75]
        return proto() + [0x7d] + string("G_ema") + global("torch_utils.persistence", "_reconstruct_persistent_obj")
            + tuple1(meta) + reduce + [0x73] + stop
    }
}
