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
    private var out = PickleEmitter(protocol: 2)
    var bytes: [UInt8] { out.bytes }

    mutating func emit(_ root: TorchExportValue, storages: inout [TensorData]) {
        value(root, storages: &storages)
        out.stop()
    }

    private mutating func value(_ value: TorchExportValue, storages: inout [TensorData]) {
        switch value {
        case .dict(let items):
            out.append(0x7d)  // EMPTY_DICT
            setItems(items, storages: &storages)
        case .orderedDict(let items):
            emptyOrderedDict()
            setItems(items, storages: &storages)
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

    private mutating func setItems(_ items: [(String, TorchExportValue)], storages: inout [TensorData]) {
        guard !items.isEmpty else { return }
        out.mark()
        for (key, item) in items {
            out.string(key)
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
