import ArgumentParser
import Foundation
import Interop

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a checkpoint's networks as a torch .pt (rosinality or NVIDIA layout), a .safetensors or a .pkl file.",
        discussion: """
        The container follows the output name: .safetensors writes safetensors (NVIDIA names; several networks \
        are prefixed G_ema., G., D.; the architecture is kept in the metadata); .pkl a TensorFlow-layout network \
        pickle (G, D, Gs) that stylegan2-ada-pytorch's legacy.load_network_pkl converts into G, D and G_ema \
        (needs D and G_ema or G; augment p and the training state do not travel); .pt or .pth a torch.save \
        zip that torch.load(weights_only=True) accepts. Any other name is refused.
          --layout nvidia      state_dict() names; one network is a flat state dict, several are {name: state dict}.
          --layout rosinality  {"g_ema": ..., "latent_avg": ..., "d": ...} for rosinality stylegan2-pytorch; with G
                               and D also "g" and "g_optim"/"d_optim" Adam states with its train.py's default lr
                               and betas, holding a toonkit snapshot's moments and step counts (else fresh), so
                               its train.py --ckpt resumes from the file.
        Importing an export gives back the same tensors bit for bit.

        Exit status: 0 written, 2 bad input or any other error (nothing is written then).
        """
    )

    @Argument(help: "The checkpoint to export (.h5).")
    var checkpoint: String

    @Option(name: .shortAndLong, help: "The file to write (.pt/.pth, .safetensors or .pkl).")
    var output: String

    @Option(help: "Tensor names and structure: nvidia or rosinality.")
    var layout: ExportLayout = .nvidia

    @Option(help: "Comma-separated networks to export (default: all; rosinality uses G_ema, G and D).")
    var networks: String?

    func run() throws {
        let selected = networks?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let notes = try ModelExporter.export(checkpoint: URL(fileURLWithPath: checkpoint), to: URL(fileURLWithPath: output),
                                             layout: layout, networks: selected)
        notes.forEach(Console.note)
        print("exported \(checkpoint) (\(layout.rawValue) layout) -> \(output)")
    }
}
