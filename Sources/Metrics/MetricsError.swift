import UntrustedInput

/// Errors of the metrics module; messages say what to do about them, since they reach users directly.
public struct MetricsError: Error, CustomStringConvertible, Equatable {
    public let description: String

    public init(_ description: String) { self.description = description }

    /// A problem with the Inception weights file, with where the right file comes from.
    static func weights(_ path: String, problem: String) -> MetricsError {
        MetricsError("""
            \(path.escapedForDisplay): cannot be used as the Inception weights: \(problem). \
            FID needs pytorch-fid's \(InceptionWeights.standardFileName) (a torch.save state dict of the \
            TensorFlow Inception-v3 2015-12-05 port), from \(InceptionWeights.standardURL); \
            toonkit neither bundles nor downloads it
            """)
    }
}
