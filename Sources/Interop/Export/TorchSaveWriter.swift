import Foundation
import Checkpoint

/// What an exported `torch.save` file holds: dicts of tensors, nothing else.
indirect enum TorchExportValue {
    case dict([(String, TorchExportValue)])
    /// `collections.OrderedDict`, what `state_dict()` returns.
    case orderedDict([(String, TorchExportValue)])
    case tensor(TensorData)
}

/// Writes `torch.save` zip files that `torch.load(weights_only=True)` accepts: a protocol-2
/// `data.pkl` using only `collections.OrderedDict`, `torch._utils._rebuild_tensor_v2` and
/// `torch.*Storage` persistent ids, one STORED, 64-byte aligned member per storage, and the
/// `byteorder` and `version` records.
enum TorchSaveWriter {
    static func write(_ root: TorchExportValue, to url: URL) throws {
        var pickle = ProtocolTwoPickler()
        var storages: [TensorData] = []
        pickle.emit(root, storages: &storages)
        let prefix = url.deletingPathExtension().lastPathComponent
        try AtomicFile.write(to: url) { sink in
            let zip = ZipWriter(sink: sink, alignment: 64)
            func add(_ name: String, _ bytes: [UInt8]) throws {
                try bytes.withUnsafeBytes { try zip.addStoredEntry(name: "\(prefix)/\(name)", parts: [$0]) }
            }
            try add("data.pkl", pickle.bytes)
            try add("byteorder", Array("little".utf8))
            for (key, tensor) in storages.enumerated() {
                try tensor.bytes.withUnsafeBytes { try zip.addStoredEntry(name: "\(prefix)/data/\(key)", parts: [$0]) }
            }
            try add("version", Array("3\n".utf8))
            try zip.finish()
        }
    }
}

/// Emits the few protocol-2 opcodes an exported state dict needs.
private struct ProtocolTwoPickler {
    private(set) var bytes: [UInt8] = [0x80, 0x02]
    private var memo: [String: UInt32] = [:]

    mutating func emit(_ root: TorchExportValue, storages: inout [TensorData]) {
        value(root, storages: &storages)
        bytes.append(0x2e)  // STOP
    }

    private mutating func value(_ value: TorchExportValue, storages: inout [TensorData]) {
        switch value {
        case .dict(let items):
            bytes.append(0x7d)  // EMPTY_DICT
            setItems(items, storages: &storages)
        case .orderedDict(let items):
            emptyOrderedDict()
            setItems(items, storages: &storages)
        case .tensor(let tensor):
            global("torch._utils", "_rebuild_tensor_v2")
            bytes.append(0x28)  // MARK
            persistentStorage(tensor, key: storages.count)
            storages.append(tensor)
            integer(0)
            tuple(tensor.shape)
            tuple(rowMajorStrides(tensor.shape))
            bytes.append(0x89)  // NEWFALSE: requires_grad
            emptyOrderedDict()  // backward hooks
            bytes += [0x74, 0x52]  // TUPLE, REDUCE
        }
    }

    private mutating func setItems(_ items: [(String, TorchExportValue)], storages: inout [TensorData]) {
        guard !items.isEmpty else { return }
        bytes.append(0x28)  // MARK
        for (key, item) in items {
            string(key)
            value(item, storages: &storages)
        }
        bytes.append(0x75)  // SETITEMS
    }

    private mutating func emptyOrderedDict() {
        global("collections", "OrderedDict")
        bytes += [0x29, 0x52]  // EMPTY_TUPLE, REDUCE
    }

    /// `('storage', torch.<Type>Storage, key, 'cpu', numel)` + BINPERSID.
    private mutating func persistentStorage(_ tensor: TensorData, key: Int) {
        bytes.append(0x28)
        string("storage")
        global("torch", PickleGlobal.storageClassName(tensor.dtype))
        string(String(key))
        string("cpu")
        integer(tensor.count)
        bytes += [0x74, 0x51]  // TUPLE, BINPERSID
    }

    /// GLOBAL the first time (memoized with LONG_BINPUT), LONG_BINGET afterwards.
    private mutating func global(_ module: String, _ name: String) {
        let key = module + "\n" + name
        if let index = memo[key] {
            bytes.append(0x6a)
            littleEndian(index)
            return
        }
        bytes.append(0x63)
        bytes += Array("\(module)\n\(name)\n".utf8)
        let index = UInt32(memo.count)
        memo[key] = index
        bytes.append(0x72)
        littleEndian(index)
    }

    private mutating func string(_ text: String) {
        let utf8 = Array(text.utf8)
        bytes.append(0x58)  // BINUNICODE
        littleEndian(UInt32(utf8.count))
        bytes += utf8
    }

    private mutating func integer(_ value: Int) {
        switch value {
        case 0..<256: bytes += [0x4b, UInt8(value)]
        case 256..<65536: bytes += [0x4d, UInt8(value & 0xff), UInt8(value >> 8)]
        case Int(Int32.min)...Int(Int32.max):
            bytes.append(0x4a)
            littleEndian(UInt32(bitPattern: Int32(value)))
        default:
            bytes += [0x8a, 8]  // LONG1 with 8 bytes
            withUnsafeBytes(of: Int64(value).littleEndian) { bytes += $0 }
        }
    }

    private mutating func tuple(_ values: [Int]) {
        switch values.count {
        case 0: bytes.append(0x29)
        case 1...3:
            values.forEach { integer($0) }
            bytes.append(0x84 + UInt8(values.count))  // TUPLE1/2/3
        default:
            bytes.append(0x28)
            values.forEach { integer($0) }
            bytes.append(0x74)
        }
    }

    private mutating func littleEndian(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }

    private func rowMajorStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        for index in stride(from: shape.count - 2, through: 0, by: -1) { strides[index] = strides[index + 1] * shape[index + 1] }
        return strides
    }
}
