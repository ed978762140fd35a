import Checkpoint
import Foundation
import Networks

/// swap and blend. Every generator network present in both inputs (G and G_ema alike) gets the same
/// treatment: each synthesis parameter of block bR becomes base·(1 − m) + style·m with the block's weight m
/// (bytes copied when m is 0 or 1); the mapping network, its running average w_avg and every buffer (the
/// constant noise images and resampling filters) come from the base; so do the architecture and the provenance log. The discriminator is
/// dropped unless `keepDiscriminator`, which keeps the style's D: in the toonify workflow the style is the
/// model fine-tuned on the target domain, and its D is the one that has learnt that domain, so it is the D
/// to resume fine-tuning the blend against. Training state (step, augment p, optimizer moments) describes
/// the input networks, not the blend, and is dropped.
public enum BlendPlanner {
    public static func plan(_ recipe: BlendRecipe, base: CheckpointReader, style: CheckpointReader, output: String) throws -> SurgeryPlan {
        let baseAnatomies = Dictionary(uniqueKeysWithValues: try base.networkNames.map { ($0, try NetworkAnatomy.of(base, network: $0)) })
        let baseGenerators = base.networkNames.filter { baseAnatomies[$0]!.role == .generator }
        let styleGenerators = try style.networkNames.filter { try NetworkAnatomy.of(style, network: $0).role == .generator }
        let generators = baseGenerators.filter(styleGenerators.contains)
        guard !generators.isEmpty else {
            throw SurgeryError.incompatible(paths: [base.path, style.path], mismatches: [
                "no generator network in both: \(base.path) has \(list(baseGenerators)), \(style.path) has \(list(styleGenerators))"])
        }
        try Compatibility.check([base, style], networks: generators)
        let weights = try recipe.schedule.styleWeights(resolutions: try base.architecture.blockResolutions, invert: recipe.invert)
        let weightByResolution = Dictionary(uniqueKeysWithValues: weights.map { ($0.resolution, $0.weight) })
        var networks = try generators.map { network in
            NetworkPlan(network: network, steps: try base.tensorInfos(network: network).map {
                step(for: $0, anatomy: baseAnatomies[network]!, weights: weightByResolution)
            })
        }
        var notes = (baseGenerators + styleGenerators).filter { !generators.contains($0) }.map { "generator \($0) is not in both inputs: dropped" }
        let discriminators = try style.networkNames.filter { try NetworkAnatomy.of(style, network: $0).role == .discriminator }
        if recipe.keepDiscriminator {
            guard !discriminators.isEmpty else { throw SurgeryError.invalidParameter("--keep-d: \(style.path) has no discriminator network") }
            for network in discriminators {
                let steps = try style.tensorNames(network: network).map {
                    TensorStep(name: $0, source: .copy(input: 1), reason: "discriminator: the style's, unchanged")
                }
                networks.append(NetworkPlan(network: network, steps: steps))
            }
        } else {
            notes.append("discriminator: dropped (--keep-d keeps the style's)")
        }
        return SurgeryPlan(operation: recipe.operation, inputs: [PlanInput(role: "base", path: base.path), PlanInput(role: "style", path: style.path)],
                           output: output, networks: networks, keepsTrainingState: false, notes: notes,
                           styleWeights: weights.map { SurgeryPlan.BlockWeight(resolution: $0.resolution, weight: $0.weight) })
    }

    static func step(for info: TensorInfo, anatomy: NetworkAnatomy, weights: [Int: Double]) -> TensorStep {
        let place = anatomy.places[info.name]
        guard case .synthesis(let resolution, _)? = place, info.kind == .parameter, let m = weights[resolution] else {
            let reason: String
            switch place {
            case .mapping?: reason = info.name == anatomy.averageW ? "w_avg: from the base" : "mapping: from the base"
            case .synthesis?: reason = "buffer: from the base"
            default: reason = "not in a synthesis block: from the base"
            }
            return TensorStep(name: info.name, source: .copy(input: 0), reason: reason)
        }
        let source: TensorSource = m == 0 ? .copy(input: 0) : m == 1 ? .copy(input: 1) : .linear(weights: [1 - m, m])
        return TensorStep(name: info.name, source: source, reason: "block b\(resolution), m = \(SurgeryPlan.number(m))")
    }

    private static func list(_ names: [String]) -> String { names.isEmpty ? "none" : names.joined(separator: ", ") }
}

/// merge. Parameters: linear Σ wᵢ·inputᵢ (weights as given, divided by their sum with `normalize`), or
/// slerp between two inputs at t = the second weight (t = w₂/(w₁ + w₂) with `normalize`), per tensor,
/// linear where the two are nearly parallel or one is zero. `mapping.w_avg` is the mean of w under the
/// mapping, a linear quantity, so it is always mixed linearly with the same weights ((1 − t, t) for slerp).
/// Other buffers come from the first input: the resampling filters are the same everywhere, and mixing
/// unrelated constant noise images would shrink their variance (a 50/50 mix of two N(0, 1) maps has std 0.71), so the
/// first input's noise keeps the statistics the networks were trained with. Non-float tensors are copied
/// from the first input. Architecture and provenance log come from the first input; training state is dropped
/// (so one input at weight 1 ships a training snapshot's networks without its optimizer state).
public enum MergePlanner {
    public static func plan(_ recipe: MergeRecipe, readers: [CheckpointReader], output: String) throws -> SurgeryPlan {
        try validate(recipe)
        let networks = recipe.networks ?? readers[0].networkNames.filter { name in readers.allSatisfy { $0.networkNames.contains(name) } }
        guard !networks.isEmpty else { throw SurgeryError.invalidParameter("the inputs have no network in common") }
        try Compatibility.check(readers, networks: networks)
        let sum = recipe.weights.reduce(0, +)
        let weights = recipe.normalize ? recipe.weights.map { $0 / sum } : recipe.weights
        // One input at weight 1 is a copy: bit-exact, not 1·x recomputed.
        let parameterSource: TensorSource = recipe.method == .slerp ? .slerp(t: weights[1])
            : weights == [1] ? .copy(input: 0) : .linear(weights: weights)
        let averageWeights = recipe.method == .slerp ? [1 - weights[1], weights[1]] : weights
        let plans = try networks.map { network in
            let averageW = try NetworkAnatomy.of(readers[0], network: network).averageW
            return NetworkPlan(network: network, steps: try readers[0].tensorInfos(network: network).map { info in
                if !info.dtype.isFloatingPoint {
                    return TensorStep(name: info.name, source: .copy(input: 0), reason: "not floating point: from the first input")
                } else if info.name == averageW {
                    return TensorStep(name: info.name, source: .linear(weights: averageWeights), reason: "w_avg: always linear")
                } else if info.kind == .buffer {
                    return TensorStep(name: info.name, source: .copy(input: 0), reason: "buffer: from the first input")
                }
                return TensorStep(name: info.name, source: parameterSource, reason: "parameter")
            })
        }
        var notes = readers[0].networkNames.filter { !networks.contains($0) }.map { "network \($0): not merged, dropped" }
        if recipe.method == .slerp && !recipe.normalize && recipe.weights[0] + recipe.weights[1] != 1 {
            notes.append("slerp uses t = the second weight (\(SurgeryPlan.number(recipe.weights[1]))); the first is ignored")
        }
        let roles = readers.indices.map { PlanInput(role: "input\($0 + 1)", path: readers[$0].path) }
        return SurgeryPlan(operation: "merge", inputs: roles, output: output, networks: plans, keepsTrainingState: false, notes: notes, styleWeights: [])
    }

    private static func validate(_ recipe: MergeRecipe) throws {
        guard !recipe.inputs.isEmpty else { throw SurgeryError.invalidParameter("merge needs at least one checkpoint") }
        guard recipe.weights.count == recipe.inputs.count else {
            throw SurgeryError.invalidParameter("--weights has \(recipe.weights.count) values for \(recipe.inputs.count) checkpoints")
        }
        guard recipe.weights.allSatisfy(\.isFinite) else { throw SurgeryError.invalidParameter("--weights must be finite numbers") }
        if recipe.method == .slerp && recipe.inputs.count != 2 {
            throw SurgeryError.invalidParameter("slerp merges exactly two checkpoints, got \(recipe.inputs.count)")
        }
        if recipe.normalize && recipe.weights.reduce(0, +) == 0 {
            throw SurgeryError.invalidParameter("--normalize: the weights sum to 0")
        }
    }
}

/// freeze / unfreeze: the same file with the `trainable` flag of the selected parameters set (false, or
/// true with `unfreeze`). Data is copied bit-exactly; every network, the training state and /extra are kept.
public enum FreezePlanner {
    public static func plan(_ recipe: FreezeRecipe, reader: CheckpointReader, output: String) throws -> SurgeryPlan {
        let infos = try reader.tensorInfos(network: recipe.network)
        let anatomy = try NetworkAnatomy.of(reader, network: recipe.network)
        let selected = Set(try recipe.selection.select(from: infos, anatomy: anatomy, network: recipe.network))
        let layerIndex = Dictionary(anatomy.freezeOrder.enumerated().flatMap { index, layer in layer.tensors.map { ($0, index) } },
                                    uniquingKeysWith: { first, _ in first })
        let networks = try reader.networkNames.map { network in
            NetworkPlan(network: network, steps: try reader.tensorNames(network: network).map { name in
                guard network == recipe.network, selected.contains(name) else {
                    return TensorStep(name: name, source: .copy(input: 0), reason: "unchanged")
                }
                var reason = recipe.unfreeze ? "selected: unfrozen" : "selected: frozen"
                if let index = layerIndex[name] {
                    reason += " (D layer \(index) from the input)"
                }
                return TensorStep(name: name, source: .copy(input: 0), trainable: recipe.unfreeze, reason: reason)
            })
        }
        return SurgeryPlan(operation: recipe.unfreeze ? "unfreeze" : "freeze", inputs: [PlanInput(role: "checkpoint", path: reader.path)],
                           output: output, networks: networks, keepsTrainingState: true,
                           notes: ["\(selected.count) parameters of \(recipe.network) selected"], styleWeights: [])
    }
}
