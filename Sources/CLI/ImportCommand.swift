import ArgumentParser
import Foundation
import Interop

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Convert an NVIDIA .pkl, a torch .pt or a .safetensors file into a toonkit checkpoint.",
        discussion: """
        Formats (detected from the file's bytes, or forced with --format):
          nvidia-pkl   StyleGAN2-ADA network pickle (train.py snapshot or legacy.py conversion): G, D, G_ema,
                       augment p, training_set_kwargs; the architecture comes from the stored init kwargs.
          rosinality   rosinality stylegan2-pytorch .pt (export_weights.py output or a training checkpoint;
                       optimizers are ignored), renamed onto NVIDIA names; latent_avg becomes mapping.w_avg.
          state-dict   torch.save of NVIDIA-named state dicts (one generator imports as G_ema).
          safetensors  NVIDIA-named tensors (one generator imports as G_ema).
          tf-pkl       official TensorFlow StyleGAN2(-ADA) pickle (G, D, Gs → G, D, G_ema), mapped as NVIDIA's
                       legacy.py does; its TensorFlow source is never run or kept.
        Files are read with a restricted unpickler that never runs code from the file; anything outside its \
        allow-list is refused by name. The architecture is checked against every tensor shape. Conditional \
        networks (c_dim > 0) import from NVIDIA pickles, TensorFlow pickles, state dicts and safetensors; \
        rosinality files hold no labels.

        Exit status: 0 imported, 2 bad input or any other error (nothing is written then).
        """
    )

    @Argument(help: "The file to import.")
    var source: String

    @Option(name: .shortAndLong, help: "The checkpoint to write (.h5).")
    var output: String

    @Option(help: "Skip detection and read the file as this format (nvidia-pkl, rosinality, state-dict, safetensors).")
    var format: ImportFormat?

    func run() throws {
        let model = try ModelImporter.importCheckpoint(from: URL(fileURLWithPath: source),
                                                       to: URL(fileURLWithPath: output), format: format)
        model.notes.forEach(Console.note)
        let networks = model.networks.map { "\($0.name) (\($0.tensors.count) tensors)" }.joined(separator: ", ")
        print("imported \(source) as \(model.provenance.format.rawValue): \(networks) -> \(output)")
    }
}
