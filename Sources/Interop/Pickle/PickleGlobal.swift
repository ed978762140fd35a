import Foundation
import Checkpoint

/// The allow-list of docs/foreign-formats.md §2. Each entry is an inert data constructor implemented here;
/// resolving any other (module, name) pair is an error that names it, so `os.system`,
/// `builtins.eval`, `subprocess.Popen` & co. can never even be referenced.
public enum PickleGlobal: Equatable, Sendable {
    case persistentObject
    case rebuildParameter, rebuildParameterWithState, rebuildTensorV2
    case loadFromBytes
    case storageType(DType)
    case orderedDict, easyDict
    case numpyScalar, numpyDType, numpyReconstruct, numpyNDArray
    case builtinSet
    case codecsEncode
    case argparseNamespace
    case tensorflowNetwork

    private static let storageTypes: [String: DType] = [
        "FloatStorage": .float32, "HalfStorage": .float16, "DoubleStorage": .float64,
        "BFloat16Storage": .bfloat16, "LongStorage": .int64, "IntStorage": .int32,
        "ShortStorage": .int16, "CharStorage": .int8, "ByteStorage": .uint8, "BoolStorage": .bool,
    ]

    private static let named: [String: PickleGlobal] = [
        "torch_utils.persistence._reconstruct_persistent_obj": .persistentObject,
        "torch._utils._rebuild_parameter": .rebuildParameter,
        "torch._utils._rebuild_parameter_with_state": .rebuildParameterWithState,
        "torch._utils._rebuild_tensor_v2": .rebuildTensorV2,
        "torch.storage._load_from_bytes": .loadFromBytes,
        "collections.OrderedDict": .orderedDict,
        "dnnlib.util.EasyDict": .easyDict,
        "numpy.core.multiarray.scalar": .numpyScalar,
        "numpy._core.multiarray.scalar": .numpyScalar,
        "numpy.dtype": .numpyDType,
        "numpy.core.multiarray._reconstruct": .numpyReconstruct,
        "numpy._core.multiarray._reconstruct": .numpyReconstruct,
        "numpy.ndarray": .numpyNDArray,
        "builtins.set": .builtinSet,
        "__builtin__.set": .builtinSet,
        "_codecs.encode": .codecsEncode,
        "argparse.Namespace": .argparseNamespace,
        "dnnlib.tflib.network.Network": .tensorflowNetwork,
    ]

    /// The allow-listed constructor for `module.name`, or an error naming the refused global.
    static func resolve(module: String, name: String) throws -> PickleGlobal {
        if module == "torch", let dtype = storageTypes[name] { return .storageType(dtype) }
        if let global = named["\(module).\(name)"] { return global }
        throw InteropError("refusing global '\(module).\(name)': it is not one of the inert constructors this "
            + "reader allows (docs/foreign-formats.md §2), and a pickle that references it may try to run code. "
            + "If you trust the file, convert it with the reference Python tools inside a sandbox.")
    }

    /// The torch storage class of a dtype, e.g. `FloatStorage` (every DType has one).
    static func storageClassName(_ dtype: DType) -> String {
        storageTypes.first { $0.value == dtype }!.key
    }

    public var qualifiedName: String {
        if case .storageType(let dtype) = self { return "torch." + Self.storageClassName(dtype) }
        return Self.named.first { $0.value == self }?.key ?? "\(self)"
    }
}

/// A numpy dtype descriptor (`numpy.dtype('f8', False, True)` plus its BUILD state).
public final class NumpyDTypeNode {
    public let typeCode: String
    /// '<', '>', '|' or '='; the BUILD state's second field.
    public fileprivate(set) var byteOrder: Character = "="

    init(typeCode: String) { self.typeCode = typeCode }

    /// numpy's `(version, byteorder, subarray, names, fields, elsize, alignment, flags)` state.
    func build(_ state: PickleValue) throws {
        guard let fields = state.sequence, fields.count >= 2, let order = fields[1].stringValue,
              let character = order.first, order.count == 1, "<>|=".contains(character) else {
            throw InteropError("unsupported numpy dtype state for '\(typeCode)'")
        }
        byteOrder = character
    }

    public var elementType: NumpyElementType {
        get throws { try NumpyElementType(descriptor: String(byteOrder) + typeCode) }
    }
}

/// An ndarray from `numpy.core.multiarray._reconstruct`, filled by BUILD (TF pickles only).
public final class NumpyArrayNode {
    public fileprivate(set) var tensor: TensorData?

    /// State `(version, shape, dtype, is_fortran, raw bytes)`.
    func build(_ state: PickleValue) throws {
        guard tensor == nil else { throw InteropError("ndarray built twice") }
        guard let fields = state.sequence, fields.count == 5, let shapeItems = fields[1].sequence,
              case .numpyDType(let dtype) = fields[2], case .bool(let fortran) = fields[3] else {
            throw InteropError("unsupported ndarray state (expected version, shape, dtype, fortran flag, bytes)")
        }
        guard !fortran else { throw InteropError("Fortran-ordered arrays are not supported") }
        guard case .bytes(let raw) = fields[4] else {
            throw InteropError("ndarray data must be raw bytes (object arrays are refused), got \(fields[4].typeName)")
        }
        let shape = try shapeItems.map { item -> Int in
            guard let dim = item.intValue, dim >= 0 else { throw InteropError("bad ndarray dimension \(item.typeName)") }
            return dim
        }
        tensor = try dtype.elementType.tensor(shape: shape, littleEndianOrNative: raw)
    }
}
