import Checkpoint
import Foundation
import Interop
import UntrustedInput

/// A feature network's weights as the user supplies them: a torch.save state dict, read through the
/// safe torch-file reader and checked tensor by tensor against what the network needs.
enum WeightsFile {
    /// The file's tensors by name (zero-copy views until materialised). `failure` turns a problem
    /// into the error that names the file the caller expected.
    static func entries(_ url: URL, failure: (String) -> MetricsError) throws -> [String: TensorData] {
        do {
            try InputFile.checkRegular(url.path)
        } catch let error as InputFileError {
            throw failure(error.isMissing ? "the file does not exist" : error.reason)
        }
        let entries: [(name: String, tensor: TensorData)]
        do {
            entries = try StateDictFile.read(url)
        } catch {
            throw failure("it is not a readable torch.save state dict (\(error))")
        }
        return Dictionary(entries.map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
    }

    /// The expected float tensors, materialised, and a description of every one that is missing or
    /// has the wrong shape or dtype.
    static func floatTensors(_ stored: [String: TensorData], expected: [(String, [Int])]) -> (tensors: [String: [Float]], problems: [String]) {
        var problems: [String] = []
        var tensors: [String: [Float]] = [:]
        for (name, shape) in expected {
            guard let tensor = stored[name] else { problems.append("missing tensor \(name)"); continue }
            guard tensor.shape == shape else { problems.append("tensor \(name) has shape \(tensor.shape), expected \(shape)"); continue }
            guard tensor.dtype.isFloatingPoint, let values = try? tensor.floats() else {
                problems.append("tensor \(name) has dtype \(tensor.dtype), expected float32"); continue
            }
            tensors[name] = values
        }
        return (tensors, problems)
    }

    /// The first few problems in one sentence.
    static func summary(_ problems: [String]) -> String {
        problems.prefix(5).joined(separator: "; ") + (problems.count > 5 ? "; and \(problems.count - 5) more" : "")
    }
}
