import Checkpoint
import Engine

/// The module tree of NVIDIA's Generator: the synthesis network, then the mapping network (registration
/// order, so `tensors` is the state_dict order every checkpoint follows).
public struct GeneratorNetwork: Module {
    public let path = ModulePath.root
    public let synthesis: SynthesisNetwork
    public let mapping: MappingNetwork

    public init(_ a: Architecture) {
        synthesis = SynthesisNetwork(path.child("synthesis"), a)
        mapping = MappingNetwork(path.child("mapping"), zDim: a.zDim, cDim: a.cDim, wDim: a.wDim, layerCount: a.mappingLayers,
                                 lrMultiplier: a.mappingLRMultiplier, tracksAverage: true)
    }

    public var ownTensors: [TensorDeclaration] { [] }
    public var children: [any Module] { [synthesis, mapping] }
}

/// The module tree of NVIDIA's Discriminator: blocks from the image resolution down to 8, the label
/// mapping of conditional models, and the 4×4 epilogue.
public struct DiscriminatorNetwork: Module {
    /// NVIDIA's default depth of the label mapping; train.py sets no other, and format v1 does not record it.
    public static let defaultMappingLayers = 8

    public let path = ModulePath.root
    public let blocks: [DiscriminatorBlock]
    public let mapping: MappingNetwork?
    public let epilogue: DiscriminatorEpilogue

    /// `mappingLayers`: the label mapping's depth (conditional models only).
    public init(_ a: Architecture, mappingLayers: Int = defaultMappingLayers) {
        let root = ModulePath.root
        blocks = a.blockResolutions.reversed().filter { $0 > 4 }.map { DiscriminatorBlock(root.child("b\($0)"), resolution: $0, a) }
        let cmapDim = a.cDim > 0 ? (a.cmapDim ?? a.channels(at: 4)) : 0
        mapping = a.cDim > 0 ? MappingNetwork(Self.mappingPath, zDim: 0, cDim: a.cDim, wDim: cmapDim, layerCount: mappingLayers,
                                              lrMultiplier: MappingNetwork.defaultLRMultiplier, tracksAverage: false) : nil
        epilogue = DiscriminatorEpilogue(root.child("b4"), cmapDim: cmapDim, a)
    }

    /// The tree whose label-mapping depth is the one these stored tensor names show.
    public init(_ a: Architecture, tensorNames names: Set<String>) {
        guard a.cDim > 0 else { self.init(a); return }
        self.init(a, mappingLayers: MappingNetwork.depth(at: Self.mappingPath, in: names))
    }

    static let mappingPath = ModulePath.root.child("mapping")

    public var ownTensors: [TensorDeclaration] { [] }
    public var children: [any Module] { blocks + (mapping.map { [$0] } ?? []) + [epilogue] }

    /// Layers in FreezeD order (docs/training-loop.md §8): block by block from the input (highest resolution)
    /// side, within a block fromrgb, conv0, conv1, skip. The epilogue and the label mapping are never frozen.
    /// `--freezed N` freezes the first N.
    public var freezeOrder: [Conv2dLayer] { blocks.flatMap(\.layers) }
}
