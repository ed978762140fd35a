import Foundation
import Checkpoint

/// REDUCE, NEWOBJ and BUILD: the only places a pickle "calls" something. Each allow-listed global
/// maps to a data constructor here that checks arity and argument types.
extension PickleInterpreter {
    mutating func reduce(_ callable: PickleValue, _ arguments: PickleValue) throws -> PickleValue {
        guard case .global(let global) = callable else {
            throw InteropError("REDUCE on a \(callable.typeName): only allow-listed constructors can be called")
        }
        guard case .tuple(let tuple) = arguments else {
            throw InteropError("REDUCE arguments for \(global.qualifiedName) must be a tuple, got \(arguments.typeName)")
        }
        let args = tuple.items
        switch global {
        case .persistentObject: return try persistentModule(try expect(args, count: 1, for: global)[0])
        case .rebuildParameter, .rebuildParameterWithState:
            let items = try expect(args, count: global == .rebuildParameter ? 3 : 4, for: global)
            guard case .tensor = items[0], case .bool = items[1] else {
                throw InteropError("\(global.qualifiedName) expects (tensor, bool, …), got (\(items[0].typeName), \(items[1].typeName), …)")
            }
            return items[0]
        case .rebuildTensorV2: return .tensor(try TorchTensor(rebuildArguments: args))
        case .loadFromBytes:
            guard case .bytes(let blob) = try expect(args, count: 1, for: global)[0] else {
                throw InteropError("_load_from_bytes expects bytes")
            }
            guard let loadBlob = options.loadStorageBlob else {
                throw InteropError("refusing global 'torch.storage._load_from_bytes' inside an embedded storage blob")
            }
            return .storage(try loadBlob(blob))
        case .orderedDict, .easyDict: return .dict(try dictionary(global == .orderedDict ? .ordered : .easy, from: args))
        case .builtinSet: return .set(try set(from: args))
        case .codecsEncode: return try latin1Bytes(args)
        case .numpyDType:
            guard let code = try expect(args, count: 3, for: global)[0].stringValue else {
                throw InteropError("numpy.dtype expects a type string")
            }
            return .numpyDType(NumpyDTypeNode(typeCode: code))
        case .numpyScalar: return try numpyScalar(try expect(args, count: 2, for: global))
        case .numpyReconstruct:
            guard case .global(.numpyNDArray) = try expect(args, count: 3, for: global)[0] else {
                throw InteropError("numpy _reconstruct is only allowed for numpy.ndarray")
            }
            return .ndarray(NumpyArrayNode())
        case .storageType, .numpyNDArray, .argparseNamespace, .tensorflowNetwork:
            throw InteropError("calling \(global.qualifiedName) with REDUCE is not allowed")
        }
    }

    mutating func instantiate(_ cls: PickleValue, _ arguments: PickleValue, keywords: PickleValue?) throws -> PickleValue {
        guard case .global(let global) = cls else {
            throw InteropError("NEWOBJ on a \(cls.typeName): only allow-listed classes can be created")
        }
        guard case .tuple(let tuple) = arguments, tuple.items.isEmpty else {
            throw InteropError("NEWOBJ of \(global.qualifiedName) with constructor arguments is not supported")
        }
        if let keywords, keywords.dictValue?.count != 0 {
            throw InteropError("NEWOBJ_EX of \(global.qualifiedName) with keyword arguments is not supported")
        }
        switch global {
        case .easyDict: return .dict(PickleDict(flavor: .easy))
        case .orderedDict: return .dict(PickleDict(flavor: .ordered))
        case .argparseNamespace, .tensorflowNetwork: return .object(PickleObject(className: global.qualifiedName))
        default: throw InteropError("creating \(global.qualifiedName) with NEWOBJ is not allowed")
        }
    }

    func build(_ target: PickleValue, state: PickleValue) throws {
        switch target {
        case .dict(let dict) where dict.flavor != .plain:
            // torch state_dicts carry `{'_metadata': …}` as instance attributes; nothing to keep.
            guard state.dictValue != nil || state.sequence != nil else {
                throw InteropError("BUILD state for a dict must be a dict, got \(state.typeName)")
            }
        case .object(let object): try object.build(state, limit: limits.maxNesting)
        case .numpyDType(let dtype): try dtype.build(state)
        case .ndarray(let array): try array.build(state)
        default: throw InteropError("BUILD on a \(target.typeName) is not allowed")
        }
    }

    // MARK: constructors

    private func expect(_ args: [PickleValue], count: Int, for global: PickleGlobal) throws -> [PickleValue] {
        guard args.count == count else {
            throw InteropError("\(global.qualifiedName) takes \(count) arguments, got \(args.count)")
        }
        return args
    }

    private func persistentModule(_ meta: PickleValue) throws -> PickleValue {
        guard let fields = meta.dictValue else { throw InteropError("persistent object metadata must be a dict") }
        if let kind = fields["type"], kind.stringValue != "class" {
            throw InteropError("unsupported persistent object type \(kind.stringValue ?? kind.typeName)")
        }
        guard let className = fields["class_name"]?.stringValue else {
            throw InteropError("persistent object without a class_name")
        }
        guard let state = fields["state"]?.dictValue else {
            throw InteropError("persistent object \(className) without a state dict")
        }
        PickleValue.dict(state).freeze()
        let module = PickleValue.module(PersistentModule(className: className, state: state))
        guard module.height <= limits.maxNesting else { throw InteropError("nesting deeper than \(limits.maxNesting) levels") }
        return module
    }

    /// `OrderedDict()` / `OrderedDict([(k, v), …])` and the EasyDict equivalents.
    private func dictionary(_ flavor: PickleDict.Flavor, from args: [PickleValue]) throws -> PickleDict {
        let dict = PickleDict(flavor: flavor)
        guard let source = args.first else { return dict }
        guard args.count == 1, let pairs = source.sequence else {
            throw InteropError("dict constructor expects nothing or one sequence of pairs")
        }
        for pair in pairs {
            guard let items = pair.sequence, items.count == 2 else { throw InteropError("dict items must be pairs") }
            try dict.set(items[0], items[1], limit: limits.maxNesting)
        }
        return dict
    }

    private func set(from args: [PickleValue]) throws -> PickleSet {
        let result = PickleSet()
        guard let source = args.first else { return result }
        guard args.count == 1, let items = source.sequence else { throw InteropError("set() expects one sequence") }
        for item in items { try result.insert(item, limit: limits.maxNesting) }
        return result
    }

    /// `_codecs.encode(text, 'latin1')`: how protocol 2 spells bytes. Each call copies, so the
    /// copies together may not exceed the pickle's own size: every legitimate one encodes a
    /// different string of the input, whereas a memoized string could be encoded without end.
    private mutating func latin1Bytes(_ args: [PickleValue]) throws -> PickleValue {
        let items = try expect(args, count: 2, for: .codecsEncode)
        guard let text = items[0].stringValue, let encoding = items[1].stringValue,
              ["latin1", "latin-1", "iso-8859-1"].contains(encoding.lowercased()) else {
            throw InteropError("_codecs.encode is only allowed as encode(str, 'latin1')")
        }
        encodedBytes += text.unicodeScalars.count
        guard encodedBytes <= cursor.end - startOffset else {
            throw InteropError("_codecs.encode has produced \(encodedBytes) bytes, more than the pickle's \(cursor.end - startOffset)")
        }
        var bytes = [UInt8]()
        bytes.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            guard scalar.value <= 0xff else { throw InteropError("character U+\(String(scalar.value, radix: 16)) is not latin-1") }
            bytes.append(UInt8(scalar.value))
        }
        return .bytes(ByteBuffer.copying(Data(bytes), location: cursor.buffer.location).whole)
    }

    /// `numpy.core.multiarray.scalar(dtype, raw bytes)` → a plain number.
    private func numpyScalar(_ args: [PickleValue]) throws -> PickleValue {
        guard case .numpyDType(let dtype) = args[0], case .bytes(let raw) = args[1] else {
            throw InteropError("numpy scalar expects (dtype, bytes)")
        }
        let value = try dtype.elementType.tensor(shape: [], littleEndianOrNative: raw)
        switch value.dtype {
        case .float64: return .float(value.bytes.withUnsafeBytes { $0.loadUnaligned(as: Double.self) })
        case .float32, .float16, .bfloat16: return .float(Double(try value.floats()[0]))
        case .bool: return .bool(try value.integers()[0] != 0)
        default: return .int(try value.integers()[0])
        }
    }
}
