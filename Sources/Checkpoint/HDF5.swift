import CHDF5
import Foundation

/// A failed HDF5 call: what toonkit was doing and the library's error stack.
struct HDF5Error: Error, CustomStringConvertible {
    let operation: String
    let stack: String
    var description: String { stack.isEmpty ? operation : "\(operation) (\(stack))" }
}

/// Runs one HDF5 call with the automatic error printer silenced and turns a negative status into an error.
@discardableResult
func h5<T: BinaryInteger>(_ operation: @autoclosure () -> String, _ call: () -> T) throws -> T {
    toon_silence_errors()
    let result = call()
    if result < 0 {
        var buffer = [CChar](repeating: 0, count: 1024)
        toon_take_error_stack(&buffer, buffer.count)
        throw HDF5Error(operation: operation(), stack: String(cString: buffer))
    }
    return result
}

/// Owns one HDF5 identifier and releases it when the last reference goes away.
final class H5Handle {
    let id: hid_t
    private var released = false

    init(_ id: hid_t) { self.id = id }

    /// Opens or creates an identifier; a negative id becomes an `HDF5Error`.
    static func make(_ operation: @autoclosure () -> String, _ call: () -> hid_t) throws -> H5Handle {
        H5Handle(try h5(operation(), call))
    }

    /// Closes now and reports failure, for the places where a failed close matters (file commit).
    func close(_ operation: String) throws {
        guard !released else { return }
        released = true
        try h5(operation) { H5Idec_ref(id) }
    }

    deinit {
        if !released { _ = H5Idec_ref(id) }
    }
}

let h5Default = toon_H5P_DEFAULT()

enum HDF5 {
    /// The file's descriptor as HDF5's default (sec2) driver holds it; nil for other drivers.
    static func descriptor(_ file: H5Handle) -> Int32? {
        var handle: UnsafeMutableRawPointer?
        guard (try? h5("get file descriptor", { H5Fget_vfd_handle(file.id, h5Default, &handle) })) != nil else { return nil }
        return handle?.assumingMemoryBound(to: Int32.self).pointee
    }

    /// Opens or creates a file and marks its descriptor close-on-exec. HDF5 opens without O_CLOEXEC, so a
    /// process spawned meanwhile (by the embedding program, or a test) would inherit the descriptor and
    /// with it HDF5's flock, and later opens for writing would fail with "unable to lock the file".
    static func openFile(_ what: String, _ open: () -> hid_t) throws -> H5Handle {
        let file = try H5Handle.make(what, open)
        if let descriptor = descriptor(file) {
            _ = fcntl(descriptor, F_SETFD, fcntl(descriptor, F_GETFD) | FD_CLOEXEC)
        }
        return file
    }

    static let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

    /// The superblock sits at offset 0 or, after a user block, at 512, 1024, 2048, …
    static func hasSignature(fileAt path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        guard let size = try? handle.seekToEnd() else { return false }
        var offset: UInt64 = 0
        while offset + 8 <= size {
            guard (try? handle.seek(toOffset: offset)) != nil,
                  let bytes = try? handle.read(upToCount: 8) else { return false }
            if [UInt8](bytes) == signature { return true }
            offset = offset == 0 ? 512 : offset * 2
        }
        return false
    }

    static func propertyList(_ cls: hid_t) throws -> H5Handle {
        try H5Handle.make("create property list") { H5Pcreate(cls) }
    }

    /// Group creation properties that keep links in the order they were written.
    static func orderedGroupProperties() throws -> H5Handle {
        let gcpl = try propertyList(toon_H5P_GROUP_CREATE())
        try h5("track link creation order") { H5Pset_link_creation_order(gcpl.id, toon_H5P_CRT_ORDER_TRACKED_INDEXED()) }
        return gcpl
    }

    static func createGroup(_ parent: H5Handle, _ name: String, properties: H5Handle) throws -> H5Handle {
        try H5Handle.make("create group \(name)") { H5Gcreate2(parent.id, name, h5Default, properties.id, h5Default) }
    }

    static func openGroup(_ parent: H5Handle, _ name: String) throws -> H5Handle {
        try H5Handle.make("open group \(name)") { H5Gopen2(parent.id, name, h5Default) }
    }

    static func openDataset(_ parent: H5Handle, _ name: String) throws -> H5Handle {
        try H5Handle.make("open dataset \(name)") { H5Dopen2(parent.id, name, h5Default) }
    }

    static func linkExists(_ parent: H5Handle, _ name: String) throws -> Bool {
        try h5("look up \(name)") { H5Lexists(parent.id, name, h5Default) } > 0
    }

    enum ObjectType { case group, dataset, other }

    static func objectType(_ parent: H5Handle, _ name: String) throws -> ObjectType {
        let object = try H5Handle.make("open object \(name)") { H5Oopen(parent.id, name, h5Default) }
        switch H5Iget_type(object.id) {
        case H5I_GROUP: return .group
        case H5I_DATASET: return .dataset
        default: return .other
        }
    }

    /// Whether a group records link creation order (required for network groups).
    static func tracksCreationOrder(_ group: H5Handle) throws -> Bool {
        let gcpl = try H5Handle.make("get group properties") { H5Gget_create_plist(group.id) }
        var flags: UInt32 = 0
        try h5("get link creation order") { H5Pget_link_creation_order(gcpl.id, &flags) }
        return flags & UInt32(H5P_CRT_ORDER_TRACKED) != 0
    }

    /// Link names in creation order when the group tracks it, else in name order.
    static func childNames(_ group: H5Handle) throws -> [String] {
        var info = H5G_info_t()
        try h5("get group info") { H5Gget_info(group.id, &info) }
        let index = try tracksCreationOrder(group) ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME
        return try (0..<info.nlinks).map { position in
            try name(of: "link \(position)") { buffer, size in
                H5Lget_name_by_idx(group.id, ".", index, H5_ITER_INC, position, buffer, size, h5Default)
            }
        }
    }

    /// Calls an HDF5 "get name" function twice: once for the length, once for the text.
    static func name(of what: String, _ get: (UnsafeMutablePointer<CChar>?, Int) -> Int) throws -> String {
        let length = try h5("get name of \(what)") { get(nil, 0) }
        var buffer = [CChar](repeating: 0, count: length + 1)
        try h5("get name of \(what)") { get(&buffer, buffer.count) }
        return String(cString: buffer)
    }

    static func fileSize(_ file: H5Handle) throws -> UInt64 {
        var size: hsize_t = 0
        try h5("get file size") { H5Fget_filesize(file.id, &size) }
        return size
    }
}
