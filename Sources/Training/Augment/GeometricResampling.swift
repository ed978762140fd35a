import Engine
import Foundation

/// Executes per-image geometric inverse matrices on [N, C, H, W] images.
///
/// Deviation from the reference (which resamples every image whenever a geometric augmentation is
/// enabled, even at p = 0): an image whose matrix is the identity is passed through untouched, and an
/// image whose matrix is a pure blit (xflip / rotate90 / integer shift only) is moved exactly as a
/// pixel permutation with reflect semantics (`BlitPlan`). Only the remaining images go through the
/// reference's pad → 2× upsample → bilinear resample → 2× downsample path.
/// A batch with nothing to do comes back as the very same tensor (bit-exact identity).
///
/// Each resampled image is padded by its own margins, where the reference pads the whole batch by the
/// largest. The margins only decide how much reflected border lies beyond what the sampling reaches
/// (plus the filter margin), so the sampled values are the same; only the grid's [−1, 1] normalisation
/// rounds differently (≈1e-7). It halves the cost at p = 1, where one strongly rotated or shrunk image
/// would otherwise make every image in the batch upsample a border of up to its full size.
enum GeometricResampling {
    /// PyWavelets `pywt.Wavelet('sym6').dec_lo` (PyWavelets 1.9.0), the low-pass the reference uses
    /// for its 2× up/downsampling (`Hz_geom`), in the same order as the reference's buffer.
    static let sym6DecompositionLowPass: [Double] = [
        0.015404109327027373, 0.0034907120842174702, -0.11799011114819057, -0.048311742585633,
        0.4910559419267466, 0.787641141030194, 0.3379294217276218, -0.07263752278646252,
        -0.021060292512300564, 0.04472490177066578, 0.0017677118642428036, -0.007800708325034148,
    ]

    /// Normalised to sum 1 in float64, then rounded. The reference normalises in float32, so its stored
    /// `Hz_geom` buffer differs from these taps by at most 3e-8 (one rounding step).
    static let filter: FIRFilter = {
        let total = sym6DecompositionLowPass.reduce(0, +)
        return FIRFilter(separable: sym6DecompositionLowPass.map { Float($0 / total) })
    }()

    /// The filter margin at 1× scale, 2·Hz_pad with Hz_pad = taps/4 (6 px for sym6).
    static var filterMargin: Int { 2 * (filter.taps.count / 4) }

    static func apply(_ images: Tensor, inverseMatrices: [HomogeneousMatrix]) throws -> Tensor {
        guard images.rank == 4, images.shape[0] == inverseMatrices.count else {
            throw EngineError("augment", "needs images [N, C, H, W] and one matrix per image, got \(images.shape) and \(inverseMatrices.count)")
        }
        let (height, width) = (images.shape[2], images.shape[3])
        let blits = inverseMatrices.map { BlitPlan(inverseMatrix: $0, height: height, width: width) }
        if blits.allSatisfy({ $0?.isIdentity == true }) { return images }
        let pieces = try inverseMatrices.indices.map { n -> Tensor in
            let image = try images.slice(axis: 0, start: n, length: 1)
            return try blits[n].map { try $0.apply(to: image) } ?? resample(image, inverseMatrices: [inverseMatrices[n]])
        }
        return try Tensor.concatenate(pieces, axis: 0)
    }

    /// The reference's execution (docs/training-loop.md §6.3): reflect pad by the batch's largest corner overshoot
    /// plus the filter margin, 2× upsample, bilinear grid_sample onto (2H + 12) × (2W + 12), 2× downsample
    /// with the flipped filter and crop back to H × W.
    static func resample(_ images: Tensor, inverseMatrices: [HomogeneousMatrix]) throws -> Tensor {
        let (height, width) = (images.shape[2], images.shape[3])
        let margins = paddingMargins(inverseMatrices, height: height, width: width)
        let padded = try images.reflectPadded(top: margins.top, bottom: margins.bottom, left: margins.left, right: margins.right)
        let taps = filter.taps.count
        let upsampled = try Tensor.upfirdn2d(padded, filter: filter, up: 2, padding: FIRPadding(
            left: (taps + 1) / 2, right: (taps - 2) / 2, top: (taps + 1) / 2, bottom: (taps - 2) / 2), gain: 4)

        let recentred = inverseMatrices.map {
            HomogeneousMatrix.translation2D(Double(margins.left - margins.right) / 2, Double(margins.top - margins.bottom) / 2) * $0
        }
        let sampledSize = (height: 2 * (height + filterMargin), width: 2 * (width + filterMargin))
        let grid = try samplingGrid(recentred, inputSize: (upsampled.shape[2], upsampled.shape[3]), outputSize: sampledSize)
        let sampled = try Tensor.gridSample(upsampled, grid: grid)

        // downsample2d's own padding for a 2× reduction, less the filter margin: a crop back to H × W.
        let before = (taps - 1) / 2 - filterMargin, after = (taps - 2) / 2 - filterMargin
        return try Tensor.upfirdn2d(sampled, filter: filter, down: 2,
                                    padding: FIRPadding(left: before, right: after, top: before, bottom: after), flip: true)
    }

    struct Margins: Equatable { var left, top, right, bottom: Int }

    /// How far the mapped output corners reach outside the image, over the whole batch, plus the filter margin;
    /// clamped to what a reflect pad can provide (size − 1) and rounded up.
    static func paddingMargins(_ matrices: [HomogeneousMatrix], height: Int, width: Int) -> Margins {
        let cx = Double(width - 1) / 2, cy = Double(height - 1) / 2
        let corners = [(-cx, -cy), (cx, -cy), (cx, cy), (-cx, cy)]
        var reach = (left: -Double.infinity, top: -Double.infinity, right: -Double.infinity, bottom: -Double.infinity)
        for matrix in matrices {
            for (x, y) in corners {
                let mapped = matrix.applied(to: [x, y, 1])
                reach = (max(reach.left, -mapped[0]), max(reach.top, -mapped[1]), max(reach.right, mapped[0]), max(reach.bottom, mapped[1]))
            }
        }
        func margin(_ overshoot: Double, centre: Double, size: Int) -> Int {
            Int(min(max(overshoot + Double(filterMargin) - centre, 0), Double(size - 1)).rounded(.up))
        }
        return Margins(left: margin(reach.left, centre: cx, size: width), top: margin(reach.top, centre: cy, size: height),
                       right: margin(reach.right, centre: cx, size: width), bottom: margin(reach.bottom, centre: cy, size: height))
    }

    /// affine_grid(align_corners=False) for each image: the pixel-space inverse matrix, moved onto the 2×
    /// grid (×2 scale, half-pixel shift) and normalised to [−1, 1] between the output and input sizes.
    static func samplingGrid(_ matrices: [HomogeneousMatrix], inputSize: (Int, Int), outputSize: (height: Int, width: Int)) throws -> Tensor {
        let (outH, outW) = outputSize
        let thetas = matrices.map { matrix -> HomogeneousMatrix in
            var m = HomogeneousMatrix.scale2D(2, 2) * matrix * HomogeneousMatrix.scale2D(0.5, 0.5)
            m = HomogeneousMatrix.translation2D(-0.5, -0.5) * m * HomogeneousMatrix.translation2D(0.5, 0.5)
            return HomogeneousMatrix.scale2D(2 / Double(inputSize.1), 2 / Double(inputSize.0)) * m
                * HomogeneousMatrix.scale2D(Double(outW) / 2, Double(outH) / 2)
        }
        return try Tensor.generate(shape: [matrices.count, outH, outW, 2]) { buffer in
            for (n, theta) in thetas.enumerated() {
                let t = theta.entries
                for i in 0..<outH {
                    let y = Double(2 * i + 1) / Double(outH) - 1
                    for j in 0..<outW {
                        let x = Double(2 * j + 1) / Double(outW) - 1
                        let index = ((n * outH + i) * outW + j) * 2
                        buffer[index] = Float(t[0] * x + t[1] * y + t[2])
                        buffer[index + 1] = Float(t[3] * x + t[4] * y + t[5])
                    }
                }
            }
        }
    }
}
