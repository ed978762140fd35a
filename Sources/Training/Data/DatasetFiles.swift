import Foundation
import Imaging
import Interop
import UntrustedInput
#if canImport(Glibc)
import Glibc
#endif

/// The files of a data set or of a dataset-tool source: a folder walked recursively or a zip archive,
/// named by relative paths with '/' separators and listed in byte order of those paths (the
/// reference sorts Python strings, which is code-point order, the same as UTF-8 byte order).
protocol DatasetFiles: AnyObject {
    var location: String { get }
    var names: [String] { get }
    func contents(of name: String) throws -> Data
    /// The first bytes of a file when they can be had without reading or inflating it all; nil otherwise.
    func cheapPrefix(of name: String, count: Int) throws -> Data?
}

extension DatasetFiles {
    /// How messages name a file: the folder or zip, then the path inside it.
    func displayPath(_ name: String) -> String { (location + "/" + name).escapedForDisplay }

    /// Decodes a PNG to RGB; `check` sees its header first, so a wrong-sized image is reported as such.
    func decodePNG(_ name: String, check: (PNGHeader) throws -> Void = { _ in }) throws -> Image8 {
        let path = displayPath(name)
        let data = try contents(of: name)
        do {
            try check(PNGHeader(data, name: path))
            return try PNG.decode(data, name: path)
        } catch let error as ImagingError {
            throw TrainingError(error.description)
        }
    }
}

enum DatasetFileKind: Equatable {
    case png
    /// An image in a format toonkit cannot decode (JPEG and the like): skipped, but reported apart.
    case unsupportedImage
    case other
}

enum DatasetFileListing {
    /// The labels file, looked for in the root of a source or data set only.
    static let labelsName = "dataset.json"

    static let unsupportedImageExtensions: Set<String> = ["jpg", "jpeg", "bmp", "gif", "tif", "tiff", "webp", "ppm", "pgm", "ico"]

    static func open(_ url: URL) throws -> DatasetFiles {
        let isFolder: Bool
        do {
            isFolder = try InputFile.checkFileOrFolder(url.path)
        } catch let error as InputFileError {
            throw TrainingError(error.description)
        }
        return isFolder ? try FolderFiles(url) : try ZipFiles(url)
    }

    static func kind(of name: String) -> DatasetFileKind {
        let base = name.split(separator: "/").last.map(String.init) ?? name
        // Finder's AppleDouble companions ("__MACOSX/…/._x.png") carry image extensions but no image.
        if name.hasPrefix("__MACOSX/") || base.hasPrefix("._") { return .other }
        let ext = (base as NSString).pathExtension.lowercased()
        if ext == "png" { return .png }
        return unsupportedImageExtensions.contains(ext) ? .unsupportedImage : .other
    }

    static func noImagesError(_ location: String, unsupported: Int) -> TrainingError {
        TrainingError("\(location): no PNG images" + (unsupported == 0 ? ""
            : " (\(unsupported) images in other formats such as JPEG, which toonkit does not read: convert them to PNG)"))
    }

    static func byteOrder(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }

    /// What kind of file an unlisted name has, for summaries: its lower-cased extension or "(none)".
    static func extensionLabel(_ name: String) -> String {
        let ext = ((name.split(separator: "/").last.map(String.init) ?? name) as NSString).pathExtension.lowercased()
        return ext.isEmpty ? "(none)" : "." + ext
    }
}

final class FolderFiles: DatasetFiles {
    let root: URL
    let names: [String]
    var location: String { root.path }

    init(_ root: URL) throws {
        self.root = root.standardizedFileURL
        guard let walker = FileManager.default.enumerator(at: self.root, includingPropertiesForKeys: nil) else {
            throw TrainingError("\(root.path): cannot list the folder")
        }
        let prefix = self.root.path.hasSuffix("/") ? self.root.path : self.root.path + "/"
        var names: [String] = []
        for case let file as URL in walker {
            let path = file.standardizedFileURL.path
            // Every file is checked, symbolic links followed: a FIFO would block the first read and a
            // device never end, so the set is refused with the file's name rather than hang.
            guard try !InputFile.checkFileOrFolder(path) else { continue }
            guard path.hasPrefix(prefix) else { continue }
            names.append(String(path.dropFirst(prefix.count)))
        }
        self.names = names.sorted(by: DatasetFileListing.byteOrder)
    }

    func url(of name: String) -> URL { root.appendingPathComponent(name) }

    func contents(of name: String) throws -> Data {
        do {
            return try Data(contentsOf: url(of: name))
        } catch {
            throw TrainingError("\(url(of: name).path): cannot read (\(error.localizedDescription))")
        }
    }

    func cheapPrefix(of name: String, count: Int) throws -> Data? {
        let path = url(of: name).path
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw TrainingError("\(path): cannot open (\(String(cString: strerror(errno))))") }
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: count)
        let read = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, count, 0) }
        guard read >= 0 else { throw TrainingError("\(path): cannot read (\(String(cString: strerror(errno))))") }
        return Data(bytes.prefix(read))
    }
}

/// A zip archive kept mapped for the life of the data set: STORED members (what the dataset tool
/// writes) are handed out without copying.
final class ZipFiles: DatasetFiles {
    let archive: ZipArchive
    let names: [String]
    let location: String

    /// The largest member read: 512 MiB, the size of the largest PNG toonkit decodes (8192×8192 16-bit
    /// RGBA, stored uncompressed). A deflated member inflates to exactly its declared size or is refused.
    static let maxMemberBytes = 1 << 29

    init(_ url: URL) throws {
        location = url.path
        do {
            archive = try ZipArchive(url: url)
        } catch {
            throw TrainingError("\(url.path): not a folder or a readable zip archive (\(error))")
        }
        names = archive.entries.map(\.name).filter { !$0.hasSuffix("/") }.sorted(by: DatasetFileListing.byteOrder)
    }

    private func entry(_ name: String) throws -> ZipEntry {
        guard let entry = archive.entry(named: name) else { throw TrainingError("\(location): no member '\(name)'") }
        return entry
    }

    func contents(of name: String) throws -> Data {
        let entry = try entry(name)
        guard entry.uncompressedSize <= Self.maxMemberBytes else {
            throw TrainingError("\(displayPath(name)): declares \(entry.uncompressedSize) bytes, more than the \(Self.maxMemberBytes) toonkit reads from one member")
        }
        do {
            return try archive.contents(of: entry).data
        } catch let error as InteropError {
            throw TrainingError("\(displayPath(name)): unreadable (\(error.message.escapedForDisplay))")
        }
    }

    func cheapPrefix(of name: String, count: Int) throws -> Data? {
        let entry = try entry(name)
        guard !entry.isCompressed else { return nil }
        return archive.buffer.data(entry.dataRange.lowerBound..<(entry.dataRange.lowerBound + min(count, entry.dataRange.count)))
    }
}
