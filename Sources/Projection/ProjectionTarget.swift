import Engine
import Foundation
import Imaging
import Training

/// A photo prepared as the projector's target, as projector.py's run_projection does: centre-cropped
/// to a square and resized (Lanczos) to the generator's resolution. Faces should already be aligned
/// and cropped like FFHQ; nothing here finds or aligns a face.
public struct ProjectionTarget {
    /// The 8-bit image the projector sees (for side-by-side outputs).
    public let image: Image8
    /// [1, 3, R, R] in [−1, 1].
    public let tensor: Tensor

    public init(photo url: URL, resolution: Int) throws {
        try self.init(image: PNG.read(url), resolution: resolution)
    }

    public init(image photo: Image8, resolution: Int) throws {
        let square = ImageResampler.centerSquare(photo)
        image = square.width == resolution ? square : ImageResampler.resize(square, width: resolution, height: resolution, filter: .lanczos)
        tensor = try Tensor(shape: [1, image.channels, resolution, resolution], values: ImageConversion.planar(from: image))
    }
}
