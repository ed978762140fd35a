import Dispatch
import Engine
import Foundation
import Imaging
import Interop

/// Writes the reference's training-set format: a STORED zip of PNGs named `NNNNN/imgNNNNNNNN.png`
/// (a folder per thousand images) followed by `dataset.json`. The zip is written to a temporary file
/// beside the target and renamed over it only when complete.
enum DatasetArchiveWriter {
    /// The member name of image `index`: the 8-digit index, its first five digits as the folder.
    static func memberName(_ index: Int) -> String {
        let digits = String(format: "%08d", index)
        return "\(digits.prefix(5))/img\(digits).png"
    }

    /// Produces images 0..<count with `makeImage` (called concurrently, in batches) and stores them
    /// in order. `progress` receives the number of images written so far.
    static func write(to url: URL, count: Int, labels: [DatasetLabel]?, progress: (Int) -> Void,
                      makeImage: (Int) throws -> Image8) throws {
        try checkTarget(url)
        let threads = max(1, EngineThreads.count)
        let batch = threads * 4
        try AtomicFile.write(to: url) { sink in
            let archive = ZipWriter(sink: sink)
            var names: [String] = []
            for start in stride(from: 0, to: count, by: batch) {
                let indices = Array(start..<min(count, start + batch))
                for (index, encoded) in zip(indices, try encodeConcurrently(indices, threads: threads, makeImage: makeImage)) {
                    let name = memberName(index)
                    try encoded.withUnsafeBytes { try archive.addStoredEntry(name: name, parts: [$0]) }
                    names.append(name)
                }
                progress(names.count)
            }
            let document = DatasetLabelTable.documentText(names: names, labels: labels)
            try Array(document.utf8).withUnsafeBytes { try archive.addStoredEntry(name: DatasetFileListing.labelsName, parts: [$0]) }
            try archive.finish()
        }
    }

    private static func encodeConcurrently(_ indices: [Int], threads: Int, makeImage: (Int) throws -> Image8) throws -> [Data] {
        var results = [Result<Data, Error>?](repeating: nil, count: indices.count)
        let lock = NSLock()
        let workers = min(threads, indices.count)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for slot in stride(from: worker, to: indices.count, by: workers) {
                let result = Result { try PNG.encode(try makeImage(indices[slot])) }
                lock.lock()
                results[slot] = result
                lock.unlock()
            }
        }
        return try results.map { try $0!.get() }
    }

    private static func checkTarget(_ url: URL) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw TrainingError("\(url.path) is a folder; the data set is written as one zip file, give a file path")
        }
        let parent = url.deletingLastPathComponent()
        guard FileManager.default.fileExists(atPath: parent.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw TrainingError("\(parent.path): the output's folder does not exist")
        }
    }
}
