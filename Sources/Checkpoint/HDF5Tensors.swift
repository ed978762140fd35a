import CHDF5
import Foundation

#if _endian(big)
#error("toonkit stores little-endian tensors and writes them straight from memory; big-endian hosts are not supported")
#endif

/// How a dataset's element type maps onto toonkit dtypes.
enum StoredType: Equatable {
    case supported(DType)
    case unsupported(String)

    var name: String {
        switch self {
        case .supported(let dtype): return dtype.rawValue
        case .unsupported(let description): return "unsupported (\(description))"
        }
    }
}

/// IEEE layouts HDF5 1.10 has no predefined type for; h5py describes float16 the same way.
private struct FloatFields: Equatable {
    var signPosition, exponentPosition, exponentSize, mantissaPosition, mantissaSize, exponentBias: Int

    static let float16 = FloatFields(signPosition: 15, exponentPosition: 10, exponentSize: 5,
                                     mantissaPosition: 0, mantissaSize: 10, exponentBias: 15)
    static let bfloat16 = FloatFields(signPosition: 15, exponentPosition: 7, exponentSize: 8,
                                      mantissaPosition: 0, mantissaSize: 7, exponentBias: 127)

    init(signPosition: Int, exponentPosition: Int, exponentSize: Int, mantissaPosition: Int, mantissaSize: Int, exponentBias: Int) {
        (self.signPosition, self.exponentPosition, self.exponentSize) = (signPosition, exponentPosition, exponentSize)
        (self.mantissaPosition, self.mantissaSize, self.exponentBias) = (mantissaPosition, mantissaSize, exponentBias)
    }

    init(of type: hid_t) throws {
        var (sign, exponent, exponentSize, mantissa, mantissaSize) = (0, 0, 0, 0, 0)
        try h5("get float fields") { H5Tget_fields(type, &sign, &exponent, &exponentSize, &mantissa, &mantissaSize) }
        self.init(signPosition: sign, exponentPosition: exponent, exponentSize: exponentSize,
                  mantissaPosition: mantissa, mantissaSize: mantissaSize, exponentBias: H5Tget_ebias(type))
    }

    func makeType() throws -> H5Handle {
        let type = try H5Handle.make("copy float type") { H5Tcopy(toon_H5T_IEEE_F32LE()) }
        try h5("set float fields") {
            H5Tset_fields(type.id, signPosition, exponentPosition, exponentSize, mantissaPosition, mantissaSize)
        }
        try h5("set float size") { H5Tset_size(type.id, 2) }
        try h5("set exponent bias") { H5Tset_ebias(type.id, exponentBias) }
        return type
    }
}

extension DType {
    /// The little-endian HDF5 file type; also used as the memory type, so HDF5 never converts.
    func makeHDF5Type() throws -> H5Handle {
        func copy(_ predefined: hid_t) throws -> H5Handle {
            try H5Handle.make("copy type for \(rawValue)") { H5Tcopy(predefined) }
        }
        switch self {
        case .float32: return try copy(toon_H5T_IEEE_F32LE())
        case .float64: return try copy(toon_H5T_IEEE_F64LE())
        case .float16: return try FloatFields.float16.makeType()
        case .bfloat16: return try FloatFields.bfloat16.makeType()
        case .int64: return try copy(toon_H5T_STD_I64LE())
        case .int32: return try copy(toon_H5T_STD_I32LE())
        case .int16: return try copy(toon_H5T_STD_I16LE())
        case .int8: return try copy(toon_H5T_STD_I8LE())
        case .uint8: return try copy(toon_H5T_STD_U8LE())
        case .bool:
            // The h5py convention: an enum over int8 with FALSE = 0 and TRUE = 1.
            let type = try H5Handle.make("create bool enum") { H5Tenum_create(toon_H5T_STD_I8LE()) }
            for (name, value) in [("FALSE", Int8(0)), ("TRUE", Int8(1))] {
                var member = value
                try h5("insert enum member \(name)") { H5Tenum_insert(type.id, name, &member) }
            }
            return type
        }
    }

    static func identify(_ type: H5Handle) throws -> StoredType {
        let size = H5Tget_size(type.id)
        let littleEndian = H5Tget_order(type.id) == H5T_ORDER_LE
        switch H5Tget_class(type.id) {
        case H5T_FLOAT:
            guard littleEndian else { return .unsupported("big-endian float") }
            if size == 4, try h5("compare types", { H5Tequal(type.id, toon_H5T_IEEE_F32LE()) }) > 0 { return .supported(.float32) }
            if size == 8, try h5("compare types", { H5Tequal(type.id, toon_H5T_IEEE_F64LE()) }) > 0 { return .supported(.float64) }
            if size == 2 {
                let fields = try FloatFields(of: type.id)
                if fields == .float16 { return .supported(.float16) }
                if fields == .bfloat16 { return .supported(.bfloat16) }
            }
            return .unsupported("\(size)-byte float with a non-IEEE layout")
        case H5T_INTEGER:
            guard littleEndian || size == 1 else { return .unsupported("big-endian integer") }
            let signed = H5Tget_sign(type.id) == H5T_SGN_2
            switch (size, signed) {
            case (8, true): return .supported(.int64)
            case (4, true): return .supported(.int32)
            case (2, true): return .supported(.int16)
            case (1, true): return .supported(.int8)
            case (1, false): return .supported(.uint8)
            default: return .unsupported("\(signed ? "signed" : "unsigned") \(size)-byte integer")
            }
        case H5T_ENUM:
            let members = H5Tget_nmembers(type.id)
            return size == 1 && members == 2 ? .supported(.bool) : .unsupported("enum with \(members) members")
        case H5T_STRING: return .unsupported("string")
        case H5T_COMPOUND: return .unsupported("compound")
        default: return .unsupported("type class \(H5Tget_class(type.id).rawValue)")
        }
    }
}

/// What a dataset is, read from its header only.
struct DatasetDescription {
    var shape: [Int]?
    var storedType: StoredType
    var contiguous: Bool
    var filterCount: Int
    /// Data kept in files outside this one (HDF5 external storage): never read.
    var external: Bool
    /// File offset of the raw data when it is contiguous and allocated (what a memory map would use).
    var offset: UInt64?
    var storageBytes: UInt64
}

extension HDF5 {
    static func describe(dataset: H5Handle) throws -> DatasetDescription {
        let type = try H5Handle.make("get dataset type") { H5Dget_type(dataset.id) }
        let space = try H5Handle.make("get dataset dataspace") { H5Dget_space(dataset.id) }
        let properties = try H5Handle.make("get dataset properties") { H5Dget_create_plist(dataset.id) }
        let filters = try h5("count filters") { H5Pget_nfilters(properties.id) }
        let contiguous = H5Pget_layout(properties.id) == H5D_CONTIGUOUS
        let externalFiles = try h5("count external files") { H5Pget_external_count(properties.id) }
        let offset = contiguous ? H5Dget_offset(dataset.id) : toon_HADDR_UNDEF()
        toon_silence_errors()
        return DatasetDescription(shape: try shape(of: space), storedType: try DType.identify(type),
                                  contiguous: contiguous, filterCount: Int(filters), external: externalFiles > 0,
                                  offset: offset == toon_HADDR_UNDEF() ? nil : UInt64(offset),
                                  storageBytes: H5Dget_storage_size(dataset.id))
    }

    /// One tensor as a contiguous, unfiltered dataset written straight from the caller's buffer.
    static func writeTensor(_ parent: H5Handle, _ name: String, _ tensor: TensorData) throws -> H5Handle {
        let type = try tensor.dtype.makeHDF5Type()
        let space = try dataspace(shape: tensor.shape)
        let properties = try propertyList(toon_H5P_DATASET_CREATE())
        try h5("set contiguous layout") { H5Pset_layout(properties.id, H5D_CONTIGUOUS) }
        // Every byte is written right away, so pre-filling with zeros would only double the I/O.
        try h5("disable fill values") { H5Pset_fill_time(properties.id, H5D_FILL_TIME_NEVER) }
        let dataset = try H5Handle.make("create dataset \(name)") {
            H5Dcreate2(parent.id, name, type.id, space.id, h5Default, properties.id, h5Default)
        }
        try tensor.bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress, raw.count > 0 else { return }
            try h5("write dataset \(name)") {
                H5Dwrite(dataset.id, type.id, toon_H5S_ALL(), toon_H5S_ALL(), h5Default, base)
            }
        }
        return dataset
    }
}
