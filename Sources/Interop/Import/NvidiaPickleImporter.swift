import Foundation
import Checkpoint
import Networks

/// NVIDIA StyleGAN2-ADA network pickles: a dict with `G`, `D`, `G_ema` persistent modules, an
/// optional `augment_pipe` and `training_set_kwargs` (docs/foreign-formats.md §3). Works for train.py
/// snapshots and legacy.py conversions alike (key order and None values differ).
enum NvidiaPickleImporter {
    static func read(_ root: PickleValue) throws -> ImportedContent {
        guard let top = root.dictValue else { throw InteropError("an NVIDIA network pickle holds a dict, this one a \(root.typeName)") }
        var modules: [String: PersistentModule] = [:]
        var networks: [ImportedNetwork] = []
        for (key, value) in top.items {
            guard let name = key.stringValue, ImportedModel.networkOrder.contains(name), !value.isNone else { continue }
            guard let module = value.moduleValue else { throw InteropError("\(name) is a \(value.typeName), not a network module") }
            modules[name] = module
            networks.append(ImportedNetwork(name: name, tensors: try ModuleStateWalker.stateDict(of: module, network: name)))
        }
        guard !networks.isEmpty else {
            if case .tuple = root { throw InteropError("this looks like a TensorFlow StyleGAN pickle: import it with --format \(ImportFormat.tensorflowPickle.rawValue) (or without --format)") }
            throw InteropError("no G, D or G_ema network in the pickle")
        }
        let generator = modules["G_ema"] ?? modules["G"]
        var content = ImportedContent(networks: networks, architecture: try architecture(generator: generator, discriminator: modules["D"], networks: networks))
        if let pipe = top["augment_pipe"], !pipe.isNone {
            content.augmentP = try augmentProbability(pipe)
        }
        if let kwargs = top["training_set_kwargs"], !kwargs.isNone {
            content.metadata["training_set_kwargs"] = try kwargs.json()
        }
        return content
    }

    /// `augment_pipe._buffers['p']`, a 0-dim float tensor.
    private static func augmentProbability(_ pipe: PickleValue) throws -> Double? {
        guard let module = pipe.moduleValue else { throw InteropError("augment_pipe is a \(pipe.typeName), not a module") }
        guard let p = module.state["_buffers"]?.dictValue?["p"], !p.isNone else { return nil }
        guard let tensor = p.tensorValue, tensor.shape.isEmpty || tensor.shape == [1] else {
            throw InteropError("augment_pipe.p is not a scalar tensor")
        }
        return Double(try tensor.materialize().floats()[0])
    }

    /// From the stored init kwargs when present (checked against the shapes by the caller),
    /// otherwise derived from the shapes.
    private static func architecture(generator: PersistentModule?, discriminator: PersistentModule?,
                                     networks: [ImportedNetwork]) throws -> Architecture {
        let groupSize = discriminator.flatMap(minibatchGroupSize) ?? .some(4)
        if let kwargs = generator.flatMap({ initKwargs($0, positional: InitKwargs.generatorParameters) }) {
            var arch = try InitKwargs.generatorArchitecture(kwargs)
            if let discriminator, let dKwargs = initKwargs(discriminator, positional: InitKwargs.discriminatorParameters) {
                let labelMappingDepth = try InitKwargs.applyDiscriminator(dKwargs, to: &arch)
                try checkLabelMappingDepth(labelMappingDepth, arch, discriminator: networks.first { $0.name == "D" })
            } else {
                arch.mbstdGroupSize = groupSize
            }
            return arch
        }
        let generatorTensors = networks.first { $0.name == "G_ema" || $0.name == "G" }?.tensors
        let discriminatorTensors = networks.first { $0.name == "D" }?.tensors
        return try ArchitectureInference.infer(generator: generatorTensors, discriminator: discriminatorTensors,
                                               mbstdGroupSize: groupSize).architecture
    }

    /// The label-mapping depth D's kwargs declare must be the one its tensors hold: the layout takes the depth
    /// from the stored names, so without this a file contradicting itself would import unnoticed.
    private static func checkLabelMappingDepth(_ declared: Int?, _ arch: Architecture, discriminator: ImportedNetwork?) throws {
        guard let declared, let discriminator else { return }
        let stored = DiscriminatorNetwork(arch, tensorNames: Set(discriminator.tensors.map(\.name))).mapping?.layers.count ?? 0
        guard stored == declared else {
            throw InteropError("D's mapping_kwargs.num_layers is \(declared), but D holds \(stored) label-mapping layers")
        }
    }

    /// `_init_kwargs` (persistence) or `init_kwargs`, with positional `_init_args` merged in.
    private static func initKwargs(_ module: PersistentModule, positional names: [String]) -> PickleDict? {
        guard let kwargs = (module.state["_init_kwargs"] ?? module.state["init_kwargs"])?.dictValue else { return nil }
        guard let args = module.state["_init_args"]?.sequence, !args.isEmpty else { return kwargs }
        let merged = PickleDict(flavor: .plain)
        for (name, value) in zip(names, args) { try? merged.set(.string(name), value, limit: .max) }
        for (key, value) in kwargs.items { try? merged.set(key, value, limit: .max) }
        return merged
    }

    /// The group size stored on D's MinibatchStdLayer (None means the whole batch).
    private static func minibatchGroupSize(_ discriminator: PersistentModule) -> Int?? {
        guard let epilogue = discriminator.state["_modules"]?.dictValue?["b4"]?.moduleValue,
              let mbstd = epilogue.state["_modules"]?.dictValue?["mbstd"]?.moduleValue,
              let size = mbstd.state["group_size"] else { return nil }
        return .some(size.intValue)
    }
}

/// Walks `_parameters` (skipping None), `_buffers` (skipping `_non_persistent_buffers_set`) and
/// `_modules` recursively: exactly `state_dict()` order. A network is a tree; a module reached
/// twice is refused, which also bounds the walk by the number of modules in the file.
struct ModuleStateWalker {
    let network: String
    private var entries: [TensorEntry] = []
    private var visited = Set<ObjectIdentifier>()

    private init(network: String) { self.network = network }

    static func stateDict(of module: PersistentModule, network: String) throws -> [TensorEntry] {
        var walker = ModuleStateWalker(network: network)
        try walker.walk(module, prefix: "")
        return walker.entries
    }

    private mutating func walk(_ module: PersistentModule, prefix: String) throws {
        guard visited.insert(ObjectIdentifier(module)).inserted else {
            throw InteropError("network \(network): module '\(prefix)' appears twice in the module tree")
        }
        let state = module.state
        let skipped = Set((Self.stateSet(state["_non_persistent_buffers_set"]) ?? []).compactMap(\.stringValue))
        for (field, kind) in [("_parameters", TensorKind.parameter), ("_buffers", .buffer)] {
            for (key, value) in try Self.members(state, field, of: module, prefix: prefix) where !value.isNone {
                guard kind == .parameter || !skipped.contains(key) else { continue }
                guard let tensor = value.tensorValue else {
                    throw InteropError("\(network).\(prefix)\(key) is a \(value.typeName), not a tensor")
                }
                let data = try InteropError.context("\(network).\(prefix)\(key)") { try tensor.materialize() }
                entries.append(TensorEntry(name: prefix + key, kind: kind, trainable: true, data: data))
            }
        }
        for (key, value) in try Self.members(state, "_modules", of: module, prefix: prefix) where !value.isNone {
            guard let child = value.moduleValue else {
                throw InteropError("\(network).\(prefix)\(key) is a \(value.typeName), not a network module")
            }
            try walk(child, prefix: prefix + key + ".")
        }
    }

    private static func members(_ state: PickleDict, _ field: String, of module: PersistentModule, prefix: String) throws -> [(String, PickleValue)] {
        guard let value = state[field] else { return [] }
        guard let dict = value.dictValue else { throw InteropError("\(module.className) at '\(prefix)': \(field) is not a dict") }
        return try dict.items.map { key, value in
            guard let name = key.stringValue else { throw InteropError("\(module.className) at '\(prefix)': \(field) has a non-string key") }
            return (name, value)
        }
    }

    private static func stateSet(_ value: PickleValue?) -> [PickleValue]? {
        if case .set(let set) = value { return set.items }
        return value?.sequence
    }
}
