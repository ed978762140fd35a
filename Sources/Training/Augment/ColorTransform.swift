import Engine

/// Applies per-image 4×4 colour matrices to [N, C, H, W] images in [−1, 1] (docs/training-loop.md §6.4):
/// RGB images get out_c = Σ_k M[c, k]·x_k + M[c, 3]; 1-channel images use the mean of the three RGB rows,
/// so out = x·Σ_k m_k + m_3. Written with broadcast multiplies and adds, so it is differentiable to any
/// order with respect to the image. Skipped (same tensor back) when every matrix is the identity.
enum ColorTransform {
    static func apply(_ images: Tensor, matrices: [HomogeneousMatrix]) throws -> Tensor {
        guard images.rank == 4, images.shape[0] == matrices.count, matrices.allSatisfy({ $0.size == 4 }) else {
            throw EngineError("augment", "needs images [N, C, H, W] and one 4×4 colour matrix per image, got \(images.shape) and \(matrices.count)")
        }
        if matrices.allSatisfy(\.isIdentity) { return images }
        let (count, channels) = (images.shape[0], images.shape[1])
        guard channels == 3 || channels == 1 else {
            throw EngineError("augment", "colour augmentations need RGB (3 channels) or L (1 channel) images, got \(channels) channels")
        }
        let rows = matrices.map { channelRows($0, channels: channels) }
        func column(_ k: Int) throws -> Tensor {
            try Tensor(shape: [count, channels, 1, 1], values: rows.flatMap { $0.map { Float($0[k]) } })
        }
        var output = try column(channels)
        for k in 0..<channels {
            output = try output + images.slice(axis: 1, start: k, length: 1) * column(k)
        }
        return output
    }

    /// Per output channel, its input-channel weights followed by its offset.
    private static func channelRows(_ m: HomogeneousMatrix, channels: Int) -> [[Double]] {
        let rgb = (0..<3).map { i in (0..<4).map { m[i, $0] } }
        guard channels == 1 else { return rgb }
        let mean = (0..<4).map { j in rgb.reduce(0) { $0 + $1[j] } / 3 }
        return [[mean[0] + mean[1] + mean[2], mean[3]]]
    }
}
