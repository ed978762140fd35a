import Engine
import Foundation
import Networks

/// What the discriminator sees: images after the augmentation pipeline (identity when training without it).
public typealias AugmentFunction = (_ images: Tensor, _ rng: inout RandomState) throws -> Tensor

/// The non-saturating logistic loss with lazy R1 and path-length regularisation (docs/training-loop.md §3),
/// one phase at a time. Each phase returns the gradients of its loss for one network's trainable
/// tensors; the loop applies them with that network's Adam.
public struct StyleGAN2Loss {
    public var gamma: Double
    public var styleMixing: Double
    public var pathLengthWeight: Double
    public var pathLengthDecay: Double
    public var pathLengthBatchShrink: Int
    /// Running mean of path lengths (pl_mean); starts at 0.
    public var pathLengthMean: Float = 0
    /// The processes sharing each minibatch; batch means (w_avg, pl_mean) are taken over all of them.
    public var collective: any Collective = SingleProcess()
    var share: BatchShare { collective.share }

    public struct PhaseResult {
        public var loss: Float
        public var gradients: [String: Tensor]
        /// Real logits seen in this phase (feed the ADA controller).
        public var realLogits: Tensor?
        /// Diagnostic values: penalties, path lengths.
        public var extra: [String: Float] = [:]
        /// What the phase computed on the way, detached, under the reference loss's names (`fake_logits`,
        /// `gen_ws`, `gen_img`, `pl_grads`, `r1_grads`, per-image losses, ...): for parity checks.
        public var tensors: [String: Tensor] = [:]
    }

    public init(gamma: Double, styleMixing: Double, pathLengthWeight: Double, pathLengthDecay: Double, pathLengthBatchShrink: Int) {
        self.gamma = gamma
        self.styleMixing = styleMixing
        self.pathLengthWeight = pathLengthWeight
        self.pathLengthDecay = pathLengthDecay
        self.pathLengthBatchShrink = pathLengthBatchShrink
    }

    // MARK: Generator phases

    /// Gmain: mean softplus(−D(aug(G(z)))).
    public func generatorMain(_ generator: inout Generator, _ discriminator: Discriminator, trainable: Set<String>,
                              z: Tensor, c: Tensor?, augment: AugmentFunction, rng: inout some TrainingRandomness, gain: Float = 1) throws -> PhaseResult {
        let (leaves, network) = try generator.withGradientLeaves(trainable)
        let fake = try synthesize(network, z: z, c: c, rng: &rng)
        try generator.trackAverage(ofMean: collective.batchMean(fake.w))
        let logits = try discriminator(augment(fake.images, &rng.random), labels: c)
        let perImage = (-logits).softplus()
        let loss = try perImage.mean()
        var result = PhaseResult(loss: try loss.item(), gradients: try Self.parameterGradients(of: loss * gain, leaves))
        result.tensors = Self.detached(["fake_logits": logits, "loss_G": perImage, "gen_ws": fake.ws, "gen_img": fake.images])
        return result
    }

    /// Greg: path-length penalty on a shrunk batch, pl_weight · (|J_wᵀ y| − pl_mean)², times the interval.
    public mutating func generatorRegularization(_ generator: inout Generator, trainable: Set<String>, z: Tensor, c: Tensor?,
                                                 rng: inout some TrainingRandomness, gain: Float) throws -> PhaseResult {
        let size = max(z.shape[0] / pathLengthBatchShrink, 1)
        let zs = try z.slice(axis: 0, start: 0, length: size)
        let cs = try c.map { try $0.slice(axis: 0, start: 0, length: size) }
        let (leaves, network) = try generator.withGradientLeaves(trainable)
        let fake = try synthesize(network, z: zs, c: cs, rng: &rng)
        try generator.trackAverage(ofMean: collective.batchMean(fake.w))
        let (h, wd) = (fake.images.shape[2], fake.images.shape[3])
        let noise = try rng.pathLengthNoise(shape: fake.images.shape) * Float(1 / Double(h * wd).squareRoot())
        let jacobianProduct = try gradients(of: (fake.images * noise).sum(), withRespectTo: [fake.ws], createGraph: true)[0]
        let lengths = try jacobianProduct.square().sum(axes: [2]).mean(axes: [1]).sqrt()
        // pl_mean moves towards the batch mean; the penalty uses the moved value without detaching it, as the reference does.
        let (movedMean, loss, penaltyLoss) = try share.isWhole ? pathLengthPenalty(lengths) : sharedPathLengthPenalty(lengths)
        pathLengthMean = try movedMean.item()
        let penalty = try (lengths - movedMean).square()
        let weighted = penalty * Float(pathLengthWeight)
        var result = PhaseResult(loss: penaltyLoss, gradients: try Self.parameterGradients(of: loss * gain, leaves))
        result.extra = ["path_length": try lengths.mean().item(), "pl_mean": pathLengthMean]
        result.tensors = Self.detached(["pl_grads": jacobianProduct, "pl_lengths": lengths, "pl_mean": movedMean, "pl_penalty": penalty,
                                        "loss_Gpl": weighted, "gen_ws": fake.ws, "gen_img": fake.images])
        return result
    }

    /// pl_mean moved by the batch's mean length, and pl_weight · mean((lengths − moved)²) with the gradient
    /// flowing through the moved mean too; the loss's value.
    private func pathLengthPenalty(_ lengths: Tensor) throws -> (movedMean: Tensor, loss: Tensor, value: Float) {
        let movedMean = try (lengths.mean() - pathLengthMean) * Float(pathLengthDecay) + pathLengthMean
        let loss = try ((lengths - movedMean).square() * Float(pathLengthWeight)).mean()
        return (movedMean, loss, try loss.item())
    }

    /// The same over a batch shared by several ranks, whose gradients are averaged afterwards. The moved
    /// mean uses every rank's lengths; its gradient path reaches this rank's lengths only, so the term
    /// through the mean is rebuilt from the all-reduced Σ(l − m): with L the whole batch's penalty mean over
    /// B samples, dL/dl_k = w·[2(l_k − m)/B − 2·decay·Σ_j(l_j − m)/B²], and this rank's loss has R times that
    /// gradient (R ranks, b = B/R samples each) so that the average is L's.
    private func sharedPathLengthPenalty(_ lengths: Tensor) throws -> (movedMean: Tensor, loss: Tensor, value: Float) {
        let local = lengths.detached().scalars
        let total = Double(local.count * share.ranks)
        var sums = [local.reduce(0) { $0 + Double($1) }]
        try collective.allReduceSum(&sums)
        let moved = (Float(sums[0] / total) - pathLengthMean) * Float(pathLengthDecay) + pathLengthMean
        var deviations = [local.reduce(0) { $0 + Double($1 - moved) }]
        try collective.allReduceSum(&deviations)
        let penalty = try ((lengths - moved).square() * Float(pathLengthWeight)).mean()
        let throughMean = Float(pathLengthWeight * 2 * pathLengthDecay * deviations[0] / (Double(local.count) * total))
        return (try Tensor(shape: [], values: [moved]), try penalty - lengths.sum() * throughMean, try penalty.item())
    }

    // MARK: Discriminator phases

    /// Dmain: mean softplus(D(aug(G(z)))) + mean softplus(−D(aug(x))).
    public func discriminatorMain(_ discriminator: Discriminator, _ generator: inout Generator, trainable: Set<String>,
                                  z: Tensor, c: Tensor?, reals: Tensor, realLabels: Tensor?,
                                  augment: AugmentFunction, rng: inout some TrainingRandomness) throws -> PhaseResult {
        let fake = try GradMode.withoutGrad { () -> Fake in
            let fake = try synthesize(generator, z: z, c: c, rng: &rng)
            try generator.trackAverage(ofMean: collective.batchMean(fake.w))
            return fake
        }
        let (leaves, network) = try discriminator.withGradientLeaves(trainable)
        let fakeLogits = try network(augment(fake.images, &rng.random), labels: c)
        let realLogits = try network(augment(reals, &rng.random), labels: realLabels)
        let (fakeTerms, realTerms) = (fakeLogits.softplus(), (-realLogits).softplus())
        let loss = try fakeTerms.mean() + realTerms.mean()
        var result = PhaseResult(loss: try loss.item(), gradients: try Self.parameterGradients(of: loss, leaves))
        result.realLogits = realLogits.detached()
        result.extra = ["fake_logits": try fakeLogits.mean().item(), "real_logits": try realLogits.mean().item()]
        result.tensors = try Self.detached(["fake_logits": fakeLogits, "real_logits": realLogits, "loss_Dgen": fakeTerms,
                                        "loss_Dreal": realTerms, "loss_D": fakeTerms + realTerms, "gen_ws": fake.ws, "gen_img": fake.images])
        return result
    }

    /// Dreg: R1 = γ/2 · |∂ΣD(aug(x))/∂x|², the gradient taken with respect to the un-augmented reals.
    public func discriminatorRegularization(_ discriminator: Discriminator, trainable: Set<String>, reals: Tensor, realLabels: Tensor?,
                                            augment: AugmentFunction, rng: inout some TrainingRandomness, gain: Float) throws -> PhaseResult {
        let (leaves, network) = try discriminator.withGradientLeaves(trainable)
        let input = reals.detached().requiringGrad()
        let logits = try network(augment(input, &rng.random), labels: realLabels)
        let inputGradient = try gradients(of: logits.sum(), withRespectTo: [input], createGraph: true)[0]
        let penalty = try inputGradient.square().sum(axes: [1, 2, 3])
        let weighted = penalty * Float(gamma / 2)
        let loss = try weighted.mean()
        var result = PhaseResult(loss: try loss.item(), gradients: try Self.parameterGradients(of: loss * gain, leaves))
        result.realLogits = logits.detached()
        result.extra = ["r1_penalty": try penalty.mean().item()]
        result.tensors = Self.detached(["real_logits": logits, "r1_grads": inputGradient, "r1_penalty": penalty, "loss_Dr1": weighted])
        return result
    }

    // MARK: Shared pieces

    /// Generated images with the ws they came from and the un-mixed mapping output w (for the w_avg update).
    struct Fake {
        var images: Tensor
        var ws: Tensor
        var w: Tensor
    }

    /// G(z) with style mixing and the noise `rng` chooses (random in training, constant in a replay).
    func synthesize(_ generator: Generator, z: Tensor, c: Tensor?, rng: inout some TrainingRandomness) throws -> Fake {
        let (ws, w) = try mixedLatents(generator, z: z, c: c, rng: &rng.random)
        let noise = rng.synthesisNoise()
        return Fake(images: try generator.synthesize(ws: ws, noise: noise.mode, noiseSeed: noise.seed, share: share), ws: ws, w: w)
    }

    /// ws from z; with probability `styleMixing`, ws[:, cutoff...] come from a second z (one cutoff per batch).
    func mixedLatents(_ generator: Generator, z: Tensor, c: Tensor?, rng: inout RandomState) throws -> (ws: Tensor, w: Tensor) {
        let numWs = generator.numWs
        let w = try generator.mappingOutput(z: z, c: c)
        let n = z.shape[0], wDim = w.shape[1]
        let ws = try w.reshaped([n, 1, wDim]).expand(to: [n, numWs, wDim])
        guard styleMixing > 0, numWs > 1 else { return (ws, w) }
        let drawn = 1 + rng.nextInt(below: numWs - 1)
        let cutoff = rng.nextDouble() < styleMixing ? drawn : numWs
        guard cutoff < numWs else { return (ws, w) }
        let second = try generator.mappingOutput(z: rng.normalTensor(z.shape, share: share), c: c)
        let tail = try second.reshaped([n, 1, wDim]).expand(to: [n, numWs - cutoff, wDim])
        return (try Tensor.concatenate([ws.slice(axis: 1, start: 0, length: cutoff), tail], axis: 1), w)
    }

    static func detached(_ tensors: [String: Tensor]) -> [String: Tensor] { tensors.mapValues { $0.detached() } }

    static func parameterGradients(of loss: Tensor, _ leaves: [(String, Tensor)]) throws -> [String: Tensor] {
        let grads = try Engine.gradients(of: loss, withRespectTo: leaves.map(\.1))
        return Dictionary(uniqueKeysWithValues: zip(leaves.map(\.0), grads))
    }
}
