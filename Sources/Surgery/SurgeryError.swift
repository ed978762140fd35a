import Foundation
import UntrustedInput

/// Why a surgery operation refused to run or failed. Every case names the file concerned.
public enum SurgeryError: Error, Equatable, CustomStringConvertible {
    /// The inputs cannot be combined; `mismatches` lists every differing tensor or architecture field.
    case incompatible(paths: [String], mismatches: [String])
    /// A parameter makes no sense for these inputs (a resolution the model lacks, a pattern matching nothing, …).
    case invalidParameter(String)
    /// A recipe file that does not follow `schemas/recipe-v1.schema.json`.
    case invalidRecipe(path: String, problem: String)

    public var description: String {
        switch self {
        case .incompatible(let paths, let mismatches):
            return "\(paths.joined(separator: " and ")) cannot be combined (\(mismatches.count) mismatch"
                + (mismatches.count == 1 ? "" : "es") + "); nothing was written:\n" + mismatches.map { "  \($0)" }.joined(separator: "\n")
        case .invalidParameter(let message):
            return message
        case .invalidRecipe(let path, let problem):
            return "\(path.escapedForDisplay): \(problem)"
        }
    }
}
