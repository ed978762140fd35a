import Foundation
@testable import Interop

/// Hostile and broken TensorFlow network pickles: tuples of `dnnlib.tflib.network.Network` states.
extension BadInputCorpus {
    /// `Network` + NEWOBJ + BUILD of a state dict; `source` is the build_module_src string, never run.
    static func tensorflowNetwork(version: Int = 4, kwargs: [UInt8] = [0x7d], components: [UInt8] = [0x7d],
                                  source: String = "") -> [UInt8] {
        typealias P = PickleBytes
        return P.global("dnnlib.tflib.network", "Network") + [0x29, 0x81, 0x7d, 0x28]
            + P.string("version") + P.int(version) + P.string("static_kwargs") + kwargs
            + P.string("components") + components + P.string("build_module_src") + P.string(source)
            + P.string("variables") + [0x5d] + [0x75, 0x62]
    }

    static func tensorflowTuple(_ network: [UInt8]) -> [UInt8] {
        PickleBytes.proto(4) + network + network + network + [0x87] + PickleBytes.stop
    }

    mutating func addTensorFlowCases(_ fixtures: URL) throws {
        typealias P = PickleBytes
        let real = Array(try Data(contentsOf: fixtures.appendingPathComponent("tiny32.tf.pkl")))
        for length in [3, 200, real.count / 2, real.count - 1] {
            add("tiny32.tf.pkl truncated to \(length)", Array(real.prefix(length)))
        }
        add("TF pickle: state version 3", Self.tensorflowTuple(Self.tensorflowNetwork(version: 3)), mentions: "version 3 is not supported")
        add("TF pickle: unknown static kwarg", Self.tensorflowTuple(Self.tensorflowNetwork(kwargs: [0x7d, 0x28] + P.string("evil_switch") + P.int(1) + [0x75])),
            mentions: "unknown TensorFlow kwarg 'evil_switch'")
        let command = P.global("os", "system") + P.tuple1(P.string("touch \(canary)")) + P.reduce
        add("TF pickle: os.system in static_kwargs", Self.tensorflowTuple(Self.tensorflowNetwork(kwargs: [0x7d] + P.string("resolution") + command + [0x73])),
            mentions: "refusing global 'os.system'")
        // build_module_src is TensorFlow source in a real file: it must stay an inert string.
        let source = "import os\nos.system('touch \(canary)')\n"
        add("TF pickle: code in build_module_src is never run", Self.tensorflowTuple(Self.tensorflowNetwork(source: source)), mentions: "lacks the TF variable")
        var nested = Self.tensorflowNetwork()
        for _ in 0..<5 { nested = Self.tensorflowNetwork(components: [0x7d] + P.string("inner") + nested + [0x73]) }
        add("TF pickle: components nested five deep", Self.tensorflowTuple(nested), mentions: "nest too deeply")
    }
}
