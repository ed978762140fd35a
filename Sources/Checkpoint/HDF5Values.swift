import CHDF5
import Foundation

/// A scalar attribute value as toonkit understands it; anything else is `.unsupported` with a description.
enum AttributeValue: Equatable {
    case string(String)
    case integer(Int64)
    case real(Double)
    case unsupported(String)

    var json: JSONValue {
        switch self {
        case .string(let text): return .string(text)
        case .integer(let value): return .number(Double(value))
        case .real(let value): return .number(value)
        case .unsupported(let description): return .object(["unsupported_type": .string(description)])
        }
    }
}

/// Attributes and string datasets (UTF-8, variable length: what h5py writes for `str`).
extension HDF5 {
    static func utf8StringType() throws -> H5Handle {
        let type = try H5Handle.make("copy string type") { H5Tcopy(toon_H5T_C_S1()) }
        try h5("make string type variable length") { H5Tset_size(type.id, toon_H5T_VARIABLE()) }
        try h5("set UTF-8 character set") { H5Tset_cset(type.id, H5T_CSET_UTF8) }
        return type
    }

    static func dataspace(shape: [Int]) throws -> H5Handle {
        if shape.isEmpty { return try H5Handle.make("create scalar dataspace") { H5Screate(H5S_SCALAR) } }
        let dims = shape.map { hsize_t($0) }
        return try H5Handle.make("create dataspace \(shape)") { H5Screate_simple(Int32(dims.count), dims, nil) }
    }

    /// Dimensions of a dataspace; `[]` for a scalar one, nil for a null dataspace.
    static func shape(of space: H5Handle) throws -> [Int]? {
        switch H5Sget_simple_extent_type(space.id) {
        case H5S_SCALAR: return []
        case H5S_SIMPLE:
            let rank = try h5("get rank") { H5Sget_simple_extent_ndims(space.id) }
            var dims = [hsize_t](repeating: 0, count: Int(rank))
            try h5("get dimensions") { H5Sget_simple_extent_dims(space.id, &dims, nil) }
            return dims.map { Int($0) }
        default: return nil
        }
    }

    // MARK: attributes

    private static func writeAttribute(_ object: H5Handle, _ name: String, type: hid_t, _ value: UnsafeRawPointer) throws {
        let space = try dataspace(shape: [])
        let attribute = try H5Handle.make("create attribute \(name)") {
            H5Acreate2(object.id, name, type, space.id, h5Default, h5Default)
        }
        try h5("write attribute \(name)") { H5Awrite(attribute.id, type, value) }
    }

    static func writeAttribute(_ object: H5Handle, _ name: String, string: String) throws {
        let type = try utf8StringType()
        try string.withCString { text in
            var pointer: UnsafePointer<CChar>? = text
            try writeAttribute(object, name, type: type.id, &pointer)
        }
    }

    static func writeAttribute(_ object: H5Handle, _ name: String, integer: Int64) throws {
        var value = integer
        try writeAttribute(object, name, type: toon_H5T_STD_I64LE(), &value)
    }

    static func writeAttribute(_ object: H5Handle, _ name: String, flag: Bool) throws {
        var value: Int8 = flag ? 1 : 0
        try writeAttribute(object, name, type: toon_H5T_STD_I8LE(), &value)
    }

    static func writeAttribute(_ object: H5Handle, _ name: String, real: Double) throws {
        var value = real
        try writeAttribute(object, name, type: toon_H5T_IEEE_F64LE(), &value)
    }

    static func attributeNames(_ object: H5Handle) throws -> [String] {
        let count = toon_attribute_count(object.id)
        guard count >= 0 else { throw HDF5Error(operation: "count attributes", stack: "") }
        return try (0..<hsize_t(count)).map { position in
            try name(of: "attribute \(position)") { buffer, size in
                H5Aget_name_by_idx(object.id, ".", H5_INDEX_NAME, H5_ITER_INC, position, buffer, size, h5Default)
            }
        }
    }

    static func readAttribute(_ object: H5Handle, _ name: String) throws -> AttributeValue? {
        guard try h5("look up attribute \(name)", { H5Aexists(object.id, name) }) > 0 else { return nil }
        let attribute = try H5Handle.make("open attribute \(name)") { H5Aopen(object.id, name, h5Default) }
        let type = try H5Handle.make("get type of attribute \(name)") { H5Aget_type(attribute.id) }
        let space = try H5Handle.make("get dataspace of attribute \(name)") { H5Aget_space(attribute.id) }
        guard let shape = try shape(of: space), shape.reduce(1, *) == 1 else {
            return .unsupported("non-scalar attribute")
        }
        let read: (hid_t, UnsafeMutableRawPointer) throws -> Void = { memoryType, buffer in
            try h5("read attribute \(name)") { H5Aread(attribute.id, memoryType, buffer) }
        }
        return try readScalar(type: type, read: read)
    }

    /// Converts one stored scalar (attribute or dataset element) to an `AttributeValue`.
    static func readScalar(type: H5Handle, read: (hid_t, UnsafeMutableRawPointer) throws -> Void) throws -> AttributeValue {
        switch H5Tget_class(type.id) {
        case H5T_STRING:
            let strings = try readStrings(type: type, count: 1, read: read)
            return .string(strings[0])
        case H5T_INTEGER:
            var value: Int64 = 0
            try read(toon_H5T_STD_I64LE(), &value)
            return .integer(value)
        case H5T_FLOAT:
            var value: Double = 0
            try read(toon_H5T_IEEE_F64LE(), &value)
            return .real(value)
        case H5T_ENUM:
            // HDF5 cannot convert enums to integers; h5py's bool is an enum over int8, so read the raw byte.
            guard H5Tget_size(type.id) == 1 else { return .unsupported("enum wider than one byte") }
            var byte: Int8 = 0
            try read(type.id, &byte)
            return .integer(Int64(byte))
        default:
            return .unsupported("type class \(H5Tget_class(type.id).rawValue)")
        }
    }

    // MARK: string datasets

    /// A JSON document or log: scalar dataspace for one string, one dimension for a list.
    static func writeStringDataset(_ parent: H5Handle, _ name: String, strings: [String], scalar: Bool) throws {
        precondition(!scalar || strings.count == 1)
        let type = try utf8StringType()
        let space = try dataspace(shape: scalar ? [] : [strings.count])
        let dataset = try H5Handle.make("create dataset \(name)") {
            H5Dcreate2(parent.id, name, type.id, space.id, h5Default, h5Default, h5Default)
        }
        guard !strings.isEmpty else { return }
        let copies = strings.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        var pointers = copies.map { UnsafePointer<CChar>($0) }
        try h5("write dataset \(name)") {
            H5Dwrite(dataset.id, type.id, toon_H5S_ALL(), toon_H5S_ALL(), h5Default, &pointers)
        }
    }

    /// Reads a string dataset (variable or fixed length); `isScalar` tells a document from a list.
    static func readStringDataset(_ dataset: H5Handle) throws -> (strings: [String], isScalar: Bool)? {
        let type = try H5Handle.make("get dataset type") { H5Dget_type(dataset.id) }
        guard H5Tget_class(type.id) == H5T_STRING else { return nil }
        let space = try H5Handle.make("get dataset dataspace") { H5Dget_space(dataset.id) }
        guard let shape = try shape(of: space), shape.count <= 1 else { return nil }
        let strings = try readStrings(type: type, count: shape.reduce(1, *)) { memoryType, buffer in
            try h5("read string dataset") {
                H5Dread(dataset.id, memoryType, toon_H5S_ALL(), toon_H5S_ALL(), h5Default, buffer)
            }
        }
        return (strings, shape.isEmpty)
    }

    private static func readStrings(type: H5Handle, count: Int,
                                    read: (hid_t, UnsafeMutableRawPointer) throws -> Void) throws -> [String] {
        let memoryType = try H5Handle.make("copy string type") { H5Tcopy(toon_H5T_C_S1()) }
        try h5("set character set") { H5Tset_cset(memoryType.id, H5Tget_cset(type.id)) }
        if try h5("check variable-length string", { H5Tis_variable_str(type.id) }) > 0 {
            try h5("make string type variable length") { H5Tset_size(memoryType.id, toon_H5T_VARIABLE()) }
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            try pointers.withUnsafeMutableBytes { try read(memoryType.id, $0.baseAddress!) }
            let strings = pointers.map { $0.map { String(cString: $0) } ?? "" }
            let space = try dataspace(shape: [count])
            _ = toon_reclaim_vlen(memoryType.id, space.id, &pointers)
            return strings
        }
        let width = H5Tget_size(type.id)
        try h5("size string type") { H5Tset_size(memoryType.id, width) }
        try h5("set string padding") { H5Tset_strpad(memoryType.id, H5T_STR_NULLPAD) }
        var bytes = [UInt8](repeating: 0, count: max(1, width * count))
        try bytes.withUnsafeMutableBytes { try read(memoryType.id, $0.baseAddress!) }
        return (0..<count).map { index in
            let field = bytes[(index * width)..<((index + 1) * width)]
            let text = field.prefix { $0 != 0 }
            return String(decoding: text, as: UTF8.self)
        }
    }
}
