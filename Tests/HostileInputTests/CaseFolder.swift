import Foundation
import TestSupport

/// A fresh folder per case: the inputs (copied, derived or built), the valid checkpoint and data set the
/// command lines refer to, an empty output folder, and private HOME and TMPDIR folders. The command runs
/// with this folder as its working directory, so relative names in a hostile file resolve inside it.
final class CaseFolder {
    let testCase: HostileCase
    private let directory: TemporaryDirectory
    var root: URL { directory.url }
    let output: URL
    let temporary: URL
    private(set) var input = ""

    init(_ testCase: HostileCase) throws {
        self.testCase = testCase
        directory = try TemporaryDirectory()
        output = directory.file("out")
        temporary = directory.file("tmp")
        for folder in [output, temporary, directory.file("home")] {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }
        for (source, name) in [("h5/valid.h5", "valid.h5"), ("data/valid.zip", "data.zip"), ("npy/images.npy", "images.npy")] {
            try copy(source, to: directory.file(name))
        }
        try placeInputs()
        if let canary = testCase.canary {
            try Data(canary.text.utf8).write(to: directory.file(canary.file))
        }
    }

    private func copy(_ corpusPath: String, to target: URL) throws {
        if FileManager.default.fileExists(atPath: target.path) { return }
        try FileManager.default.copyItem(at: HostileCorpus.folder.appendingPathComponent(corpusPath), to: target)
    }

    private func placeInputs() throws {
        var folder = root
        if testCase.inputFolder == true {
            folder = directory.file("images")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            input = folder.path
        }
        for (index, path) in testCase.inputs.enumerated() {
            let target = folder.appendingPathComponent((path as NSString).lastPathComponent)
            try copy(path, to: target)
            if index == 0 && input.isEmpty { input = target.path }
        }
        if let derivation = testCase.derive { input = try derive(derivation) }
        if let build = testCase.build { input = try make(build) }
    }

    private func derive(_ derivation: HostileCase.Derivation) throws -> String {
        var bytes = try Data(contentsOf: HostileCorpus.folder.appendingPathComponent(derivation.from))
        if let length = derivation.truncate { bytes = bytes.prefix(length) }
        for flip in derivation.flips ?? [] { bytes[flip.offset] ^= flip.xor }
        let target = directory.file("derived.h5")
        try bytes.write(to: target)
        return target.path
    }

    /// Makes a `build` input and returns the path to pass as `{input}`.
    private func make(_ build: HostileCase.Build) throws -> String {
        let manager = FileManager.default
        func write(_ name: String, _ data: Data) throws -> String {
            try data.write(to: directory.file(name))
            return directory.path(name)
        }
        switch build.kind {
        case "fifo":
            guard mkfifo(directory.path("input"), 0o644) == 0 else { throw POSIXError(.EIO) }
            return directory.path("input")
        case "dev-zero":
            return "/dev/zero"
        case "symlink-to-dev-zero":
            try manager.createSymbolicLink(atPath: directory.path("input"), withDestinationPath: "/dev/zero")
            return directory.path("input")
        case "directory":
            try manager.createDirectory(at: directory.file("input/inner"), withIntermediateDirectories: true)
            return directory.path("input")
        case "symlink-loop":
            try manager.createSymbolicLink(atPath: directory.path("input"), withDestinationPath: "other")
            try manager.createSymbolicLink(atPath: directory.path("other"), withDestinationPath: "input")
            return directory.path("input")
        case "zip-bomb":
            return try write(build.name ?? "bomb.pt", try LargeInputs.zipBomb(build, corpus: HostileCorpus.folder))
        case "png-bomb":
            return try pngBomb(side: build.side ?? 32_768, inFolder: build.container == "folder")
        case "long4-pickle":
            return try write("long4.pkl", LargeInputs.long4Pickle(bytes: build.bytes ?? 1 << 20))
        case "deep-pickle":
            return try write("deep.pkl", LargeInputs.deepPickle(depth: build.depth ?? 100_000, opener: build.opener ?? "]",
                                                               closer: build.closer ?? "a"))
        case "safetensors-huge-header":
            return try write("huge-header.safetensors", LargeInputs.safetensorsHugeHeader(entries: build.entries ?? 150_000))
        case "zip-many-entries":
            return try write("many.zip", LargeInputs.zipWithManyEntries(build.entries ?? 100_000))
        default:
            throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: "unknown build kind \(build.kind)"])
        }
    }

    private func pngBomb(side: Int, inFolder: Bool) throws -> String {
        let image = LargeInputs.pngBomb(side: side)
        if inFolder {
            let folder = directory.file("bomb-images")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try image.write(to: folder.appendingPathComponent("bomb.png"))
            return folder.path
        }
        var zip = ZipBuilder()
        zip.addStored("bomb.png", image)
        try zip.finished().write(to: directory.file("bomb.zip"))
        return directory.path("bomb.zip")
    }

    /// `text` with {input}, {valid}, {data}, {images}, {out} and {case} replaced by this folder's paths.
    func expand(_ text: String) -> String {
        [("{input}", input), ("{valid}", directory.path("valid.h5")), ("{data}", directory.path("data.zip")),
         ("{images}", directory.path("images.npy")), ("{out}", output.path), ("{case}", root.path)]
            .reduce(text) { $0.replacingOccurrences(of: $1.0, with: $1.1) }
    }

    var arguments: [String] { testCase.command.map(expand) }

    var environment: [String: String] {
        ["PATH": "/usr/bin:/bin", "HOME": directory.path("home"), "TMPDIR": temporary.path,
         "XDG_CACHE_HOME": directory.path("home/.cache"), "LANG": "C.UTF-8",
         // A crash is a failure either way; the Swift runtime's backtrace would only add seconds to each.
         "SWIFT_BACKTRACE": "enable=no"]
    }

    /// Every regular file under `folder`, recursively (symbolic links not followed).
    static func files(under folder: URL) -> [URL] {
        guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
        return walker.compactMap { $0 as? URL }.filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
    }

    /// Every name under `folder`, recursively, relative to it.
    static func names(under folder: URL) -> [String] {
        (FileManager.default.enumerator(atPath: folder.path)?.allObjects as? [String]) ?? []
    }
}
