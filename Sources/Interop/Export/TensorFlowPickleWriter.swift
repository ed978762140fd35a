import Foundation
import Checkpoint
import Networks

/// Writes a TensorFlow-format network pickle, `(G, D, Gs)` of `dnnlib.tflib.network.Network` states (version 4),
/// in the layout NVIDIA's legacy.py converts: stylegan2-ada-pytorch's `legacy.load_network_pkl` loads it as G, D and
/// G_ema. Only data is written: the state's `build_module_src` is a comment saying so, so the file cannot be run by
/// TensorFlow's own loader, only converted. Protocol 3, the protocol of StyleGAN2-ADA's TF snapshots.
struct TensorFlowPickleWriter {
    private var out = PickleEmitter(protocol: 3)
    private(set) var notes: [String] = []

    static let placeholderSource = """
        # Written by toonkit. This state holds data only: there is no TensorFlow source here, so TensorFlow's own
        # loader cannot rebuild the network. NVIDIA's legacy.py (stylegan2-ada-pytorch) converts it without it.
        raise ImportError('no TensorFlow source in this file')

        """

    /// The tuple (G, D, Gs) from networks G, D and G_ema.
    static func pickle(generator: ImportedNetwork, discriminator: ImportedNetwork, average: ImportedNetwork,
                       architecture arch: Architecture) throws -> (bytes: [UInt8], notes: [String]) {
        let kwargs = TensorFlowStaticKwargs(arch)
        var writer = TensorFlowPickleWriter()
        let depth = MappingNetwork.depth(at: DiscriminatorNetwork(arch, mappingLayers: 0).mapping?.path ?? .root,
                                         in: Set(discriminator.tensors.map(\.name)))
        let discriminatorVariables = TensorFlowLayout.discriminator(arch, mappingLayers: arch.cDim > 0 ? depth : 0)
        try writer.generatorNetwork("G", generator, kwargs: try kwargs.generator(), arch: arch)
        try writer.writeNetwork(name: "D", function: "D_main", kwargs: try kwargs.discriminator(mappingLayers: depth),
                           variables: try writer.values(discriminator, discriminatorVariables), components: [])
        try writer.generatorNetwork("Gs", average, kwargs: try kwargs.generator(), arch: arch)
        writer.out.append(0x87)  // TUPLE3
        writer.out.stop()
        return (writer.out.bytes, writer.notes)
    }

    private mutating func generatorNetwork(_ name: String, _ network: ImportedNetwork, kwargs: [(String, TensorFlowStaticKwargs.Value)],
                                           arch: Architecture) throws {
        let all = try values(network, TensorFlowLayout.generator(arch))
        func inside(_ component: String) -> [(String, TensorData)] {
            all.filter { $0.0.hasPrefix(component + "/") }.map { (String($0.0.dropFirst(component.count + 1)), $0.1) }
        }
        let own = all.filter { name in !TensorFlowLayout.generatorComponents.contains { name.0.hasPrefix($0 + "/") } }
        try writeNetwork(name: name, function: "G_main", kwargs: kwargs, variables: own, components: [
            ("synthesis", { (writer: inout TensorFlowPickleWriter) in try writer.writeNetwork(name: "G_synthesis", function: "G_synthesis", kwargs: kwargs, variables: inside("synthesis"), components: []) }),
            ("mapping", { (writer: inout TensorFlowPickleWriter) in try writer.writeNetwork(name: "G_mapping", function: "G_mapping", kwargs: kwargs, variables: inside("mapping"), components: []) }),
        ])
    }

    /// NVIDIA tensors → TF (name, value) pairs in table order; notes style biases that do not survive `- 1` exactly.
    private mutating func values(_ network: ImportedNetwork, _ variables: [TensorFlowVariable]) throws -> [(String, TensorData)] {
        let byName = Dictionary(network.tensors.map { ($0.name, $0.data) }, uniquingKeysWith: { first, _ in first })
        var inexact = 0
        let result = try variables.map { variable -> (String, TensorData) in
            guard let data = byName[variable.nvidia] else { throw InteropError("network \(network.name) lacks \(variable.nvidia)") }
            guard data.dtype == .float32 else { throw InteropError("\(network.name).\(variable.nvidia) is \(data.dtype.rawValue); the TF layout holds float32") }
            let nvidia = try data.floats()
            let converted = variable.transform.toTensorFlow(nvidia, nvidiaShape: data.shape)
            if case .styleBias = variable.transform { inexact += zip(converted, nvidia).filter { $0 + 1 != $1 }.count }
            return (variable.tensorflow, try TensorData(float32: converted, shape: variable.tensorflowShape))
        }
        if inexact > 0 {
            notes.append("\(network.name): \(inexact) style biases lose their last bits in TF's bias − 1 form (exact in float32 only from 0.5 up; these are below)")
        }
        return result
    }

    private mutating func writeNetwork(name: String, function: String, kwargs: [(String, TensorFlowStaticKwargs.Value)],
                                  variables: [(String, TensorData)],
                                  components: [(String, (inout TensorFlowPickleWriter) throws -> Void)]) throws {
        out.global("dnnlib.tflib.network", "Network")
        out.append(0x29, 0x81, 0x7d)  // EMPTY_TUPLE, NEWOBJ, EMPTY_DICT (the state)
        out.mark()
        out.string("version"); out.integer(4)
        out.string("name"); out.string(name)
        out.string("static_kwargs"); staticKwargs(kwargs)
        out.string("components"); out.append(0x7d)
        if !components.isEmpty {
            out.mark()
            for (key, write) in components { out.string(key); try write(&self) }
            out.append(0x75)  // SETITEMS
        }
        out.string("build_module_src"); out.string(Self.placeholderSource)
        out.string("build_func_name"); out.string(function)
        out.string("variables"); out.append(0x5d)  // EMPTY_LIST
        if !variables.isEmpty {
            out.mark()
            for (key, value) in variables { try out.tuple(count: 2) { $0.string(key); try $0.numpy(value) } }
            out.append(0x65)  // APPENDS
        }
        out.append(0x75, 0x62)  // SETITEMS, BUILD
    }

    private mutating func staticKwargs(_ kwargs: [(String, TensorFlowStaticKwargs.Value)]) {
        out.append(0x7d)
        out.mark()
        for (key, value) in kwargs {
            out.string(key)
            switch value {
            case .int(let number): out.integer(number)
            case .double(let number): out.float(number)
            case .string(let text): out.string(text)
            case .none: out.append(0x4e)
            }
        }
        out.append(0x75)
    }
}

extension PickleEmitter {
    /// An ndarray as numpy pickles one (`_reconstruct` + BUILD state), or a numpy float32 scalar for 0-d values,
    /// which is what TF's Session.run returned for them. `numpy.core` is the name every numpy version resolves.
    mutating func numpy(_ tensor: TensorData) throws {
        if tensor.shape.isEmpty {
            global("numpy.core.multiarray", "scalar")
            try tuple(count: 2) { $0.float32DType(); try $0.binaryBytes(tensor.bytes) }
            append(0x52)  // REDUCE
            return
        }
        global("numpy.core.multiarray", "_reconstruct")
        tuple(count: 3) { $0.global("numpy", "ndarray"); $0.tuple([0]); $0.append(0x43, 1, 0x62) }  // SHORT_BINBYTES b'b'
        append(0x52)
        try tuple(count: 5) { emitter in
            emitter.integer(1)
            emitter.tuple(tensor.shape)
            emitter.float32DType()
            emitter.append(0x89)  // NEWFALSE: C order
            try emitter.binaryBytes(tensor.bytes)
        }
        append(0x62)  // BUILD
    }

    /// `numpy.dtype('f4', False, True)` with its little-endian BUILD state.
    private mutating func float32DType() {
        global("numpy", "dtype")
        tuple(count: 3) { $0.string("f4"); $0.append(0x89, 0x88) }
        append(0x52)
        tuple(count: 8) { emitter in
            emitter.integer(3)
            emitter.string("<")
            emitter.append(0x4e, 0x4e, 0x4e)  // subarray, names, fields: None
            emitter.integer(-1)
            emitter.integer(-1)
            emitter.integer(0)
        }
        append(0x62)
    }
}
