import Checkpoint
import Engine
import Foundation
import Generation
import Imaging
import Networks

/// What `sweep` wrote.
public struct SweepResult: Sendable {
    public var output: String
    public var rows: Int
    public var columns: [String]
    /// Set when some synthesised values were NaN or infinite (from such weights): the grid shows them
    /// clamped, and says so here.
    public var warning: String?
}

/// The layer-swap experiment in one picture: one row per seed; columns base, swap at 4, 8, …, R/2, style.
/// Every column synthesises the same ws, mapped by the base (truncated towards the base's stored w_avg),
/// so along a row only the blocks change. The base and style columns are those checkpoints' own networks
/// unchanged (the style column is the style's synthesis fed the base's ws, as toonify compares them); a
/// swap column is built in memory exactly as `toonkit swap --at R` would write it. Noise is const.
public final class SweepJob {
    public struct Column: Sendable {
        public var label: String
        /// nil for the unchanged base (input 0) and style (input 1) columns.
        public var swapAt: Int?
        public var input: Int
    }

    public let recipe: SweepRecipe
    public let output: String
    public let columns: [Column]
    /// Each cell enlarged this many times (nearest neighbour) in the picture, e.g. 4 for 32² networks.
    public var magnification = 1
    let readers: [CheckpointReader]
    /// The base's architecture (the style's is checked to be the same).
    let architecture: Architecture

    public init(_ recipe: SweepRecipe, output: String) throws {
        self.recipe = recipe
        self.output = output
        readers = [try CheckpointReader.open(recipe.base), try CheckpointReader.open(recipe.style)]
        for reader in readers where try !reader.networkNames.contains(recipe.network) || NetworkAnatomy.of(reader, network: recipe.network).role != .generator {
            throw SurgeryError.invalidParameter("\(reader.path): no generator network \(recipe.network) (it has \(reader.networkNames.joined(separator: ", ")))")
        }
        try Compatibility.check(readers, networks: [recipe.network])
        guard !recipe.seeds.isEmpty else { throw SurgeryError.invalidParameter("sweep needs at least one seed") }
        guard recipe.truncation.isFinite else { throw SurgeryError.invalidParameter("--trunc must be a finite number") }
        architecture = try readers[0].architecture
        let swaps = architecture.blockResolutions.dropLast()
        columns = [Column(label: "base", swapAt: nil, input: 0)] + swaps.map { Column(label: "\($0)", swapAt: $0, input: 0) }
            + [Column(label: "style", swapAt: nil, input: 1)]
    }

    /// What `--dry-run` prints: the columns and which blocks each takes from where.
    public var planText: String {
        let resolutions = architecture.blockResolutions
        var lines = ["sweep: base = \(recipe.base), style = \(recipe.style) -> \(output)",
                     "rows: seeds \(recipe.seeds.map(String.init).joined(separator: ", ")); ws from the base's mapping, truncation \(SurgeryPlan.number(recipe.truncation)); network \(recipe.network); noise const",
                     "columns:"]
        for column in columns {
            guard let at = column.swapAt else {
                lines.append("  \(column.label): \(readers[column.input].path) unchanged")
                continue
            }
            let above = resolutions.filter { $0 > at }
            lines.append("  swap at \(at): b4…b\(at), mapping, w_avg and buffers from the base; b\(above.first!)…b\(above.last!) parameters from the style")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public func run(progress: (String) -> Void = { _ in }) throws -> SweepResult {
        let (cells, nonFinite) = try columnImages(progress: progress)
        let grid = try SweepGrid.render(cells: cells.map { $0.map { $0.magnified(by: magnification) } },
                                        columnLabels: columns.map(\.label), rowLabels: recipe.seeds.map(String.init))
        try PNG.write(grid, to: URL(fileURLWithPath: output))
        return SweepResult(output: output, rows: recipe.seeds.count, columns: columns.map(\.label),
                           warning: nonFinite > 0 ? ImageConversion.nonFiniteWarning(file: output, count: nonFinite) : nil)
    }

    /// The images of `selected` columns (default all; one image per seed, at the network's resolution)
    /// and the number of NaN or infinite values among them: what the picture shows and the demo measures.
    public func columnImages(of selected: [Column]? = nil, progress: (String) -> Void = { _ in }) throws -> (cells: [[Image8]], nonFinite: Int) {
        let base = try Generator(reader: readers[0], network: recipe.network)
        let ws = try GradMode.withoutGrad {
            try base.map(z: Latents.z(seeds: recipe.seeds, zDim: architecture.zDim),
                         c: Latents.oneHot(classIndex: nil, count: recipe.seeds.count, cDim: architecture.cDim),
                         truncation: Truncation(psi: Float(recipe.truncation)))
        }
        var cells: [[Image8]] = []
        var nonFinite = 0
        let selected = selected ?? columns
        for column in selected {
            let generator = try column.swapAt.map(swappedGenerator) ?? (column.input == 0 ? base : Generator(reader: readers[1], network: recipe.network))
            cells.append(try images(generator, ws, nonFinite: &nonFinite))
            progress("sweep: column \(cells.count)/\(selected.count) (\(column.label))")
        }
        return (cells, nonFinite)
    }

    /// The generator `swap --at` would write, built from the two checkpoints' tensors without a file.
    func swappedGenerator(at resolution: Int) throws -> Generator {
        let schedule = BlendRecipe(base: recipe.base, style: recipe.style, schedule: .swap(at: resolution))
        let plan = try BlendPlanner.plan(schedule, base: readers[0], style: readers[1], output: output)
        guard let networkPlan = plan.networks.first(where: { $0.network == recipe.network }) else {
            throw SurgeryError.invalidParameter("network \(recipe.network) is not in the swap plan")
        }
        let executor = PlanExecutor(readers: readers)
        let entries = try networkPlan.steps.map { try executor.entry(network: recipe.network, step: $0, releasingInputs: false) }
        return try Generator(architecture: architecture, parameters: ParameterSet(network: recipe.network, entries: entries))
    }

    private func images(_ generator: Generator, _ ws: Tensor, nonFinite: inout Int) throws -> [Image8] {
        let batch = 4
        let generator = try generator.preparedForInference()
        var result: [Image8] = []
        for start in stride(from: 0, to: ws.shape[0], by: batch) {
            let length = min(batch, ws.shape[0] - start)
            let images = try GradMode.withoutGrad { try generator.synthesize(ws: ws.slice(axis: 0, start: start, length: length), noise: .const) }
            result += try GenerateJob.pngImages(images)
            nonFinite += GenerateJob.nonFiniteCounts(images).reduce(0, +)
        }
        return result
    }
}

/// The labelled sweep picture: a header above the columns ("SWAP AT" over the swap resolutions) and the
/// seed left of each row, in the 5×7 bitmap font scaled with the image size.
enum SweepGrid {
    static func render(cells: [[Image8]], columnLabels: [String], rowLabels: [String]) throws -> Image8 {
        guard let first = cells.first?.first else { throw SurgeryError.invalidParameter("sweep: no images") }
        let scale = max(1, first.width / 64)
        let line = (BitmapFont.glyphHeight + 3) * scale
        let gap = 2 * scale
        let rowLabelWidth = (rowLabels + ["seed"]).map { BitmapFont.width(of: $0, scale: scale) }.max()! + 2 * gap
        var grid = ImageGrid(rows: rowLabels.count, columns: cells.count, cellWidth: first.width, cellHeight: first.height,
                             gap: gap, top: 2 * line + gap, left: rowLabelWidth)
        for (column, images) in cells.enumerated() {
            for (row, image) in images.enumerated() { try grid.place(image, row: row, column: column) }
        }
        var canvas = grid.canvas
        func centred(_ text: String, from left: Int, width: Int, y: Int) {
            BitmapFont.draw(text, on: &canvas, x: left + (width - BitmapFont.width(of: text, scale: scale)) / 2, y: y, scale: scale)
        }
        let swapColumns = columnLabels.indices.dropFirst().dropLast()
        if let firstSwap = swapColumns.first, let lastSwap = swapColumns.last {
            let left = grid.origin(row: 0, column: firstSwap).x
            centred("swap at", from: left, width: grid.origin(row: 0, column: lastSwap).x + first.width - left, y: gap)
        }
        for (column, label) in columnLabels.enumerated() {
            centred(label, from: grid.origin(row: 0, column: column).x - gap / 2, width: first.width + gap, y: line + gap)
        }
        centred("seed", from: 0, width: rowLabelWidth, y: line + gap)
        for (row, label) in rowLabels.enumerated() {
            let y = grid.origin(row: row, column: 0).y + (first.height - BitmapFont.glyphHeight * scale) / 2
            centred(label, from: 0, width: rowLabelWidth, y: y)
        }
        return canvas
    }
}
