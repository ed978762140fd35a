import Foundation
import Checkpoint

/// What an exported `torch.save` file holds: dicts of tensors and the plain values an optimizer's
/// `state_dict()` has, all of which `torch.load(weights_only=True)` accepts.
indirect enum TorchExportValue {
    case dict([(String, TorchExportValue)])
    /// `collections.OrderedDict`, what `state_dict()` returns.
    case orderedDict([(String, TorchExportValue)])
    /// A dict keyed by integers, as an optimizer's per-parameter `state`.
    case integerKeyedDict([(Int, TorchExportValue)])
    case list([TorchExportValue])
    case tuple([TorchExportValue])
    case tensor(TensorData)
    case string(String)
    case integer(Int)
    case float(Double)
    case bool(Bool)
    case none
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
    private var out = PickleEmitter(protocol: 2)
    var bytes: [UInt8] { out.bytes }

    mutating func emit(_ root: TorchExportValue, storages: inout [TensorData]) {
        value(root, storages: &storages)
        out.stop()
    }

    private mutating func value(_ node: TorchExportValue, storages: inout [TensorData]) {
        switch node {
        case .dict(let items):
            out.append(0x7d)  // EMPTY_DICT
            setItems(items.map { (TorchExportValue.string($0.0), $0.1) }, storages: &storages)
        case .orderedDict(let items):
            emptyOrderedDict()
            setItems(items.map { (TorchExportValue.string($0.0), $0.1) }, storages: &storages)
        case .integerKeyedDict(let items):
            out.append(0x7d)  // EMPTY_DICT
            setItems(items.map { (TorchExportValue.integer($0.0), $0.1) }, storages: &storages)
        case .list(let items):
            out.append(0x5d)  // EMPTY_LIST
            guard !items.isEmpty else { return }
            out.mark()
            items.forEach { value($0, storages: &storages) }
            out.append(0x65)  // APPENDS
        case .tuple(let items):
            out.beginTuple(count: items.count)
            items.forEach { value($0, storages: &storages) }
            out.endTuple(count: items.count)
        case .string(let text): out.string(text)
        case .integer(let number): out.integer(number)
        case .float(let number): out.float(number)
        case .bool(let flag): out.append(flag ? 0x88 : 0x89)  // NEWTRUE, NEWFALSE
        case .none: out.append(0x4e)  // NONE
        case .tensor(let tensor):
            out.global("torch._utils", "_rebuild_tensor_v2")
            out.mark()
            persistentStorage(tensor, key: storages.count)
            storages.append(tensor)
            out.integer(0)
            out.tuple(tensor.shape)
            out.tuple(rowMajorStrides(tensor.shape))
            out.append(0x89)  // NEWFALSE: requires_grad
            emptyOrderedDict()  // backward hooks
            out.append(0x74, 0x52)  // TUPLE, REDUCE
        }
    }

    private mutating func setItems(_ items: [(TorchExportValue, TorchExportValue)], storages: inout [TensorData]) {
        guard !items.isEmpty else { return }
        out.mark()
        for (key, item) in items {
            value(key, storages: &storages)
            value(item, storages: &storages)
        }
        out.append(0x75)  // SETITEMS
    }

    private mutating func emptyOrderedDict() {
        out.global("collections", "OrderedDict")
        out.append(0x29, 0x52)  // EMPTY_TUPLE, REDUCE
    }

    /// `('storage', torch.<Type>Storage, key, 'cpu', numel)` + BINPERSID.
    private mutating func persistentStorage(_ tensor: TensorData, key: Int) {
        out.mark()
        out.string("storage")
        out.global("torch", PickleGlobal.storageClassName(tensor.dtype))
        out.string(String(key))
        out.string("cpu")
        out.integer(tensor.count)
        out.append(0x74, 0x51)  // TUPLE, BINPERSID
    }

    private func rowMajorStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        for index in stride(from: shape.count - 2, through: 0, by: -1) { strides[index] = strides[index + 1] * shape[index + 1] }
        return strides
    }
}
