import Foundation
import UntrustedInput

/// One violated rule of the format (schema, storage or checksum), named by the HDF5 object it concerns.
public struct CheckpointProblem: Codable, Equatable, Sendable, CustomStringConvertible {
    /// HDF5 path, e.g. `/networks/G_ema/synthesis.b8.conv0.weight`.
    public var object: String
    /// What is wrong, starting with the part concerned: `attribute "kind" must be one of …`.
    public var rule: String

    public init(object: String, rule: String) {
        self.object = object
        self.rule = rule
    }

    public var description: String { "\(object.escapedForDisplay): \(rule.escapedForDisplay)" }
}

/// How bad a failure is: the file breaks the format, or it cannot be read at all.
public enum FailureCategory: Int32, Codable, Sendable {
    /// The file is a checkpoint but breaks the format (schema, checksum).
    case invalid = 1
    /// Missing, not HDF5, an unknown major version, or the library could not read it.
    case unreadable = 2
}

public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    case fileNotFound(path: String)
    case notHDF5(path: String)
    case unreadable(path: String, reason: String)
    /// The file holds something a self-contained checkpoint never does (external storage or links, a link
    /// cycle, chunked data…), or the HDF5 library could not read its structure without crashing.
    case refused(path: String, reason: String)
    case unsupportedVersion(path: String, found: String, supported: FormatVersion)
    case schemaViolation(path: String, problems: [CheckpointProblem])
    case checksumMismatch(path: String, object: String, stored: String, computed: String)
    case noSuchNetwork(path: String, network: String, available: [String])
    case noSuchTensor(path: String, object: String)
    case writeFailed(path: String, reason: String)
    case invalidArgument(String)

    public var description: String {
        guard let path = filePath else { return detail }
        return "\(path.escapedForDisplay): \(detail)"
    }

    /// The file the error is about, when there is one.
    public var filePath: String? {
        switch self {
        case .fileNotFound(let path), .notHDF5(let path), .unreadable(let path, _), .refused(let path, _),
             .unsupportedVersion(let path, _, _), .schemaViolation(let path, _), .checksumMismatch(let path, _, _, _),
             .noSuchNetwork(let path, _, _), .noSuchTensor(let path, _), .writeFailed(let path, _):
            return path
        case .invalidArgument:
            return nil
        }
    }

    /// The message without the file name.
    private var detail: String {
        switch self {
        case .fileNotFound:
            return "no such file"
        case .notHDF5:
            return "not an HDF5 file (no HDF5 signature), so not a toonkit checkpoint"
        case .unreadable(_, let reason):
            return "cannot be read: \(reason.escapedForDisplay)"
        case .refused(_, let reason):
            return "refused: \(reason.escapedForDisplay)"
        case .unsupportedVersion(_, let found, let supported):
            return "checkpoint format version \(found) is not supported; this toonkit reads format \(supported.major).x (writes \(supported))"
        case .schemaViolation(_, let problems):
            let shown = problems.prefix(20).map { "  \($0)" }.joined(separator: "\n")
            let more = problems.count > 20 ? "\n  … and \(problems.count - 20) more" : ""
            return "does not follow the checkpoint format v1 schema:\n\(shown)\(more)"
        case .checksumMismatch(_, let object, let stored, let computed):
            return "\(object.escapedForDisplay): sha256 mismatch (stored \(stored), data hashes to \(computed))"
        case .noSuchNetwork(_, let network, let available):
            return "no network \(network.escapedForDisplay) (the file has \(available.isEmpty ? "none" : available.joined(separator: ", ").escapedForDisplay))"
        case .noSuchTensor(_, let object):
            return "no tensor \(object.escapedForDisplay)"
        case .writeFailed(_, let reason):
            return "cannot write checkpoint: \(reason)"
        case .invalidArgument(let message):
            return message
        }
    }

    public var category: FailureCategory {
        switch self {
        case .schemaViolation, .checksumMismatch: return .invalid
        default: return .unreadable
        }
    }
}
