import Checkpoint
import Foundation
import Generation
import Imaging
import Networks
import Surgery
import TestSupport
import Testing

struct BitmapFontTests {
    @Test func glyphsInkTheirPatternAndClip() {
        #expect(BitmapFont.width(of: "AB", scale: 2) == 22)
        #expect(BitmapFont.width(of: "") == 0)
        var image = Image8(width: 5, height: 7, channels: 3, fill: 255)
        BitmapFont.draw("1", on: &image, x: 0, y: 0)
        let inked = stride(from: 0, to: image.pixels.count, by: 3).filter { image.pixels[$0] == 0 }.count
        #expect(inked == 10)
        #expect(image.pixels[0] == 255 && image.pixels[2 * 3] == 0)  // row 0 of "1" is ..#..
        var lower = Image8(width: 5, height: 7, channels: 1, fill: 255), upper = lower
        BitmapFont.draw("s", on: &lower, x: 0, y: 0)
        BitmapFont.draw("S", on: &upper, x: 0, y: 0)
        #expect(lower == upper)
        var clipped = Image8(width: 4, height: 4, channels: 3, fill: 255)
        BitmapFont.draw("SWAP AT 128", on: &clipped, x: -1, y: -1, scale: 2)
        #expect(clipped.pixels.contains(0))
    }

    @Test func magnificationRepeatsEveryPixelAndCaptionsScale() throws {
        let image = try Image8(width: 2, height: 1, channels: 3, pixels: [1, 2, 3, 4, 5, 6])
        let big = image.magnified(by: 3)
        #expect(big.width == 6 && big.height == 3)
        let row: [UInt8] = [1, 2, 3, 1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6, 4, 5, 6]
        #expect(big.pixels == row + row + row)
        #expect(Image8.magnification(from: 32, toAtLeast: 128) == 4 && Image8.magnification(from: 48, toAtLeast: 128) == 3
                && Image8.magnification(from: 256, toAtLeast: 128) == 1)
        #expect(image.planar(channels: 3) == [1, 4, 2, 5, 3, 6])
        let grid = try ImageGrid.captioned(Array(repeating: image, count: 4), title: "T", magnification: 64)
        // 2×2 cells of 128×64 with 4-px gaps under a title line of 20 px (font scale 2) and a gap.
        #expect(grid.width == 2 * 128 + 4 && grid.height == 20 + 4 + 2 * 64 + 4)
        #expect(grid.pixels.prefix(grid.width * 3 * 24).contains(0), "the title is drawn")
    }
}

@Suite(.enabled(if: Fixtures.available, Fixtures.missing))
struct SweepTests {
    /// The grid's swap columns are exactly what `swap` writes and `generate --seeds --trunc` draws from it.
    @Test func columnsMatchGeneratedSwapsAndTheGridIsLabelled() throws {
        let folder = try TemporaryDirectory()
        let (base, style) = try Inputs.pair("tiny32", in: folder)
        let output = folder.file("sweep.png").path
        let seeds: [UInt32] = [0, 7]
        let recipe = Recipe(action: .sweep(SweepRecipe(base: base, style: style, seeds: seeds, truncation: 0.7)), output: output)
        guard case .swept(let result) = try RecipeRunner.run(recipe) else { Issue.record("no sweep"); return }
        #expect(result.columns == ["base", "4", "8", "16", "style"])
        let grid = try PNG.read(URL(fileURLWithPath: output))
        let (cell, gap) = (32, 2)
        let left = grid.width - 5 * cell - 4 * gap, top = grid.height - 2 * cell - gap
        #expect(left > 0 && top > 0)
        for (column, swapAt) in [(0, 32), (2, 8)] {
            let swapped = folder.file("swap\(swapAt).h5").path
            _ = try Inputs.swap(base, style, at: swapAt, output: swapped)
            var job = GenerateJob(checkpoint: URL(fileURLWithPath: swapped), source: .seeds(seeds))
            job.truncation = Truncation(psi: 0.7)
            job.output = folder.file("generated\(swapAt)")
            _ = try job.run()
            for (row, seed) in seeds.enumerated() {
                let expected = try PNG.read(folder.file("generated\(swapAt)/" + String(format: "seed%04u.png", seed)))
                let x0 = left + column * (cell + gap), y0 = top + row * (cell + gap)
                #expect(region(grid, x: x0, y: y0, width: cell, height: cell) == expected.pixels, "column \(column), seed \(seed)")
            }
        }
        #expect(region(grid, x: 0, y: 0, width: grid.width, height: top).contains(0), "the header holds no label")
        #expect(region(grid, x: 0, y: top, width: left, height: grid.height - top).contains(0), "the rows have no seed labels")
    }

    func region(_ image: Image8, x: Int, y: Int, width: Int, height: Int) -> [UInt8] {
        var pixels: [UInt8] = []
        for row in y..<(y + height) {
            let start = (row * image.width + x) * image.channels
            pixels += image.pixels[start..<(start + width * image.channels)]
        }
        return pixels
    }

    @Test func dryRunDescribesTheColumns() throws {
        let folder = try TemporaryDirectory()
        let (base, style) = try Inputs.pair("tiny32", in: folder)
        let recipe = Recipe(action: .sweep(SweepRecipe(base: base, style: style, seeds: [1])), output: folder.file("s.png").path)
        let before = folder.contents
        guard case .planned(let text) = try RecipeRunner.run(recipe, dryRun: true) else { Issue.record("not a plan"); return }
        #expect(folder.contents == before)
        #expect(text.contains("swap at 16: b4…b16, mapping, w_avg and buffers from the base; b32…b32 parameters from the style"))
    }
}
