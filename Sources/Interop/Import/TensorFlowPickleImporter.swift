import Foundation
import Checkpoint
import Networks

/// Official TensorFlow StyleGAN2 / StyleGAN2-ADA pickles: a tuple `(G, D, Gs)` of `dnnlib.tflib.network.Network`
/// states (versions 4 and 5), read as plain objects by the restricted machine. G, D and Gs become G, D and G_ema
/// through `TensorFlowLayout`. `build_module_src` is TensorFlow source: it is never looked at, only dropped.
enum TensorFlowPickleImporter {
    static let networkClass = PickleGlobal.tensorflowNetwork.qualifiedName
    static let supportedVersions = 4...5
    /// G_main → (G_synthesis, G_mapping): TF networks nest one level; a little slack, and no more.
    static let maxComponentDepth = 3

    static func looksLikeTensorFlow(_ root: PickleValue) -> Bool {
        guard case .tuple(let tuple) = root, tuple.items.count == 3 else { return false }
        return tuple.items.allSatisfy { if case .object(let object) = $0 { return object.className == networkClass } else { return false } }
    }

    /// `fileBytes` bounds the converted data: each variable is converted into a new tensor, and a pickle could
    /// name one memoized array many times, whereas a real file stores every array once.
    static func read(_ root: PickleValue, fileBytes: Int) throws -> ImportedContent {
        guard looksLikeTensorFlow(root), let items = root.sequence else {
            throw InteropError("a TensorFlow StyleGAN pickle holds a tuple (G, D, Gs) of \(networkClass), this one a \(root.typeName)")
        }
        let networks = try zip(["G", "D", "G_ema"], items).map { name, value in try TensorFlowNetworkState(value, role: name) }
        let variableBytes = networks.reduce(0) { $0 + $1.variables.values.reduce(0) { $0 + $1.bytes.count } }
        guard variableBytes <= fileBytes else {
            throw InteropError("the TF variables hold \(variableBytes) bytes, more than the file's \(fileBytes): arrays are shared between variables")
        }
        let (generator, discriminator) = (networks[2], networks[1])
        var arch = try InteropError.context("Gs static_kwargs") {
            try TensorFlowKwargs(generator.kwargs, network: "Gs", known: TensorFlowKwargs.generatorKeys).generatorArchitecture()
        }
        try InteropError.context("D static_kwargs") {
            try TensorFlowKwargs(discriminator.kwargs, network: "D", known: TensorFlowKwargs.discriminatorKeys).applyDiscriminator(to: &arch)
        }
        try arch.checkPlausible()
        var content = ImportedContent(networks: [], architecture: arch)
        for (name, state) in zip(["G", "D", "G_ema"], networks) {
            let variables = name == "D"
                ? TensorFlowLayout.discriminator(arch, mappingLayers: state.countLayers(prefix: "Mapping"))
                : TensorFlowLayout.generator(arch)
            content.networks.append(ImportedNetwork(name: name, tensors: try convert(state, variables: variables, network: name, arch: arch)))
        }
        content.notes.append("TensorFlow pickle (state version \(generator.version)): G, D, Gs imported as G, D, G_ema; "
            + "build_module_src (TensorFlow source) was neither run nor kept")
        if networks.contains(where: { $0.variables["lod"] != nil }) { content.notes.append("the unused TF variable 'lod' was dropped") }
        return content
    }

    /// TF variables → NVIDIA entries in `state_dict()` order; resample filters are rebuilt as the fixed filter.
    private static func convert(_ state: TensorFlowNetworkState, variables: [TensorFlowVariable], network: String, arch: Architecture) throws -> [TensorEntry] {
        let byNvidia = Dictionary(uniqueKeysWithValues: variables.map { ($0.nvidia, $0) })
        let declared = NetworkLayout.tree(network: network, arch, tensorNames: Set(variables.map(\.nvidia)))?.tensors ?? []
        var entries: [TensorEntry] = []
        for expected in declared {
            let data: TensorData
            if let variable = byNvidia[expected.name] {
                guard let source = state.variables[variable.tensorflow] else {
                    throw InteropError("\(state.role) lacks the TF variable \(variable.tensorflow), which holds \(network).\(expected.name)")
                }
                guard source.shape == variable.tensorflowShape, source.dtype == .float32 else {
                    throw InteropError("\(state.role) variable \(variable.tensorflow) is \(source.dtype.rawValue) \(source.shape), expected float32 \(variable.tensorflowShape) (\(arch.summary))")
                }
                data = try TensorData(float32: variable.transform.toNvidia(try source.floats(), nvidiaShape: expected.shape), shape: expected.shape)
            } else if let fixed = expected.initializer.fixedValues {
                data = try TensorData(float32: fixed, shape: expected.shape)
            } else {
                throw InteropError("the TF layout has no source for \(network).\(expected.name)")
            }
            entries.append(TensorEntry(name: expected.name, kind: expected.kind, trainable: true, data: data))
        }
        let used = Set(variables.map(\.tensorflow)).union(["lod"])
        if let unused = state.variables.keys.sorted().first(where: { !used.contains($0) }) {
            throw InteropError("\(state.role) has a TF variable \(unused) \(state.variables[unused]!.shape) that this mapping does not know (\(arch.summary))")
        }
        return entries
    }
}

/// One TF Network state: its kwargs and its variables with component prefixes (`mapping/Dense0/weight`).
struct TensorFlowNetworkState {
    let role: String
    let version: Int
    let kwargs: PickleDict
    private(set) var variables: [String: TensorData] = [:]

    init(_ value: PickleValue, role: String) throws {
        self.role = role
        let attributes = try Self.attributes(value, role)
        guard let version = attributes["version"]?.intValue, TensorFlowPickleImporter.supportedVersions.contains(version) else {
            throw InteropError("\(role): TF network state version \(attributes["version"]?.intValue.map(String.init) ?? "missing") is not supported (4 or 5)")
        }
        self.version = version
        guard let kwargs = attributes["static_kwargs"]?.dictValue else { throw InteropError("\(role): static_kwargs is not a dict") }
        self.kwargs = kwargs
        var visited = Set<ObjectIdentifier>()
        try collect(attributes, prefix: "", depth: 0, visited: &visited)
    }

    private static func attributes(_ value: PickleValue, _ label: String) throws -> PickleDict {
        guard case .object(let object) = value, object.className == TensorFlowPickleImporter.networkClass, let attributes = object.attributes else {
            throw InteropError("\(label) is a \(value.typeName), not a built \(TensorFlowPickleImporter.networkClass)")
        }
        return attributes
    }

    /// legacy.py's `_collect_tf_params`: own variables, then each component's under `key/`.
    private mutating func collect(_ state: PickleDict, prefix: String, depth: Int, visited: inout Set<ObjectIdentifier>) throws {
        guard visited.insert(ObjectIdentifier(state)).inserted, depth <= TensorFlowPickleImporter.maxComponentDepth else {
            throw InteropError("\(role): TF components nest too deeply or repeat at '\(prefix)'")
        }
        guard let list = state["variables"]?.sequence else { throw InteropError("\(role)/\(prefix): variables is not a list") }
        for item in list {
            guard let pair = item.sequence, pair.count == 2, let name = pair[0].stringValue else {
                throw InteropError("\(role)/\(prefix): a variable is not a (name, value) pair")
            }
            guard variables[prefix + name] == nil else { throw InteropError("\(role): TF variable \(prefix + name) appears twice") }
            variables[prefix + name] = try InteropError.context("\(role) variable \(prefix + name)") { try Self.tensor(pair[1]) }
        }
        guard let components = state["components"]?.dictValue else { throw InteropError("\(role)/\(prefix): components is not a dict") }
        for (key, component) in components.items {
            guard let name = key.stringValue, !name.contains("/") else { throw InteropError("\(role)/\(prefix): a component has a bad name") }
            try collect(try Self.attributes(component, "\(role)/\(prefix)\(name)"), prefix: prefix + name + "/", depth: depth + 1, visited: &visited)
        }
    }

    /// Arrays arrive as ndarrays; 0-d variables as numpy scalars (what TF's Session.run returned), read as Python floats.
    private static func tensor(_ value: PickleValue) throws -> TensorData {
        switch value {
        case .ndarray(let array):
            guard let tensor = array.tensor else { throw InteropError("an ndarray without data") }
            return tensor
        case .float(let number):
            return try TensorData(float32: [Float(number)], shape: [])
        default: throw InteropError("a \(value.typeName), not an array")
        }
    }

    /// Consecutive `{prefix}{i}/weight` variables (D's label mapping depth).
    func countLayers(prefix: String) -> Int {
        var count = 0
        while count < MappingNetwork.maxLayers, variables["\(prefix)\(count)/weight"] != nil { count += 1 }
        return count
    }
}
