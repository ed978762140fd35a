import UntrustedInput

/// Errors of the metrics module; messages say what to do about them, since they reach users directly.
public struct MetricsError: Error, CustomStringConvertible, Equatable {
    public let description: String

    public init(_ description: String) { self.description = description }

    /// A problem with the Inception weights file, with where the right file comes from.
    static func weights(_ path: String, problem: String) -> MetricsError {
        weightsFile(path, usedAs: "the Inception weights", problem: problem, expected: """
            pytorch-fid's \(InceptionWeights.standardFileName) (a torch.save state dict of the \
            TensorFlow Inception-v3 2015-12-05 port), from \(InceptionWeights.standardURL)
            """)
    }

    /// A weights file that cannot serve: what it was for, what is wrong, and which file is expected from where.
    static func weightsFile(_ path: String, usedAs role: String, problem: String, expected: String) -> MetricsError {
        MetricsError("\(path.escapedForDisplay): cannot be used as \(role): \(problem). It needs \(expected); toonkit neither bundles nor downloads it")
    }
}
