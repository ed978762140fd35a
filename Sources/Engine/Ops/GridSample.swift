import Foundation

/// Bilinear grid_sample with zero padding and align_corners=false (torch semantics), for the ADA
/// geometric augmentations. Gradients: the input gradient is the adjoint scatter (and the adjoint's
/// gradient is the sampling again, so R1 through augmentation works); the grid gradient is first-order only.
private struct BilinearTap {
    var x0: Int, y0: Int
    var wx1: Float, wy1: Float

    init(gridX: Float, gridY: Float, width: Int, height: Int) {
        let ix = ((gridX + 1) * Float(width) - 1) / 2
        let iy = ((gridY + 1) * Float(height) - 1) / 2
        let fx = ix.rounded(.down), fy = iy.rounded(.down)
        // Far-away (or non-finite) coordinates would overflow Int; they read only zeros anyway.
        x0 = fx.isFinite ? Int(Swift.max(-2, Swift.min(fx, Float(width + 1)))) : -2
        y0 = fy.isFinite ? Int(Swift.max(-2, Swift.min(fy, Float(height + 1)))) : -2
        wx1 = ix - fx
        wy1 = iy - fy
    }

    /// The four corners with their weights; corners outside the image are skipped (zero padding).
    @inline(__always)
    func forEachCorner(width: Int, height: Int, _ body: (Int, Float) -> Void) {
        let wx0 = 1 - wx1, wy0 = 1 - wy1
        let inX0 = x0 >= 0 && x0 < width, inX1 = x0 + 1 >= 0 && x0 + 1 < width
        if y0 >= 0 && y0 < height {
            if inX0 { body(y0 * width + x0, wx0 * wy0) }
            if inX1 { body(y0 * width + x0 + 1, wx1 * wy0) }
        }
        if y0 + 1 >= 0 && y0 + 1 < height {
            if inX0 { body((y0 + 1) * width + x0, wx0 * wy1) }
            if inX1 { body((y0 + 1) * width + x0 + 1, wx1 * wy1) }
        }
    }
}

extension Tensor {
    /// input [N, C, H, W], grid [N, Ho, Wo, 2] holding (x, y) in [−1, 1] → [N, C, Ho, Wo].
    public static func gridSample(_ input: Tensor, grid: Tensor) throws -> Tensor {
        let (n, c, h, w, ho, wo) = try gridSampleShapes(input.shape, grid.shape)
        let output = Tensor(uninitializedShape: [n, c, ho, wo])
        let pi = input.pointer, pg = grid.pointer, po = output.pointer, pixels = ho * wo
        // A sample's channels share its grid, so each output pixel's tap is made once for all of them; each sum is formed
        // as before. Made per plane, `bench train --network paper256 --batch 4` profiled 0.118 s per step here, 0.074 after
        // (Zen 3, one run each).
        Profiler.measure("gridSample") {
            parallelChunks(n * pixels, minimumPerThread: 4096) { range in
                for item in range {
                    let (sample, p) = item.quotientAndRemainder(dividingBy: pixels)
                    let coords = pg + sample * pixels * 2
                    let tap = BilinearTap(gridX: coords[2 * p], gridY: coords[2 * p + 1], width: w, height: h)
                    for channel in 0..<c {
                        var total: Float = 0
                        let plane = pi + (sample * c + channel) * h * w
                        tap.forEachCorner(width: w, height: h) { index, weight in total += plane[index] * weight }
                        po[(sample * c + channel) * pixels + p] = total
                    }
                }
            }
        }
        return record("gridSample", output: output, inputs: [input, grid]) { gy, _, needs in
            [needs[0] ? try gridSampleAdjoint(gy, grid: grid, inputShape: input.shape) : nil,
             needs[1] ? try gridSampleGridGradient(input, grid: grid, gradOutput: gy) : nil]
        }
    }

    /// The adjoint of sampling: scatters gradients back to the input pixels.
    static func gridSampleAdjoint(_ gy: Tensor, grid: Tensor, inputShape: [Int]) throws -> Tensor {
        let (n, c, h, w, ho, wo) = try gridSampleShapes(inputShape, grid.shape)
        guard gy.shape == [n, c, ho, wo] else { throw EngineError.shapes("gridSampleAdjoint", "gradient does not match the grid", gy.shape, grid.shape) }
        let output = try Tensor.zeros(inputShape)
        let pgy = gy.pointer, pg = grid.pointer, po = output.pointer, pixels = ho * wo
        // Planes run in parallel, so each worker adds only into its own plane, pixel after pixel in one order.
        Profiler.measure("gridSampleAdjoint") {
            parallelChunks(n * c) { range in
                for task in range {
                    let coords = pg + (task / c) * pixels * 2
                    let plane = po + task * h * w
                    for p in 0..<pixels {
                        let value = pgy[task * pixels + p]
                        let tap = BilinearTap(gridX: coords[2 * p], gridY: coords[2 * p + 1], width: w, height: h)
                        tap.forEachCorner(width: w, height: h) { index, weight in plane[index] += value * weight }
                    }
                }
            }
        }
        return record("gridSampleAdjoint", output: output, inputs: [gy, grid]) { gg, _, needs in
            if needs[1] { throw EngineError("gridSampleAdjoint", "second-order gradients with respect to the sampling grid are not supported") }
            return [try gridSample(gg, grid: grid), nil]
        }
    }

    /// d(output)/d(grid): the bilinear slopes times the incoming gradient, summed over channels.
    static func gridSampleGridGradient(_ input: Tensor, grid: Tensor, gradOutput gy: Tensor) throws -> Tensor {
        let (n, c, h, w, ho, wo) = try gridSampleShapes(input.shape, grid.shape)
        let output = try Tensor.zeros(grid.shape)
        let pi = input.pointer, pg = grid.pointer, pgy = gy.pointer, po = output.pointer
        Profiler.measure("gridSampleGridGradient") {
            parallelChunks(n) { range in
                for sample in range {
                    let coords = pg + sample * ho * wo * 2
                    let out = po + sample * ho * wo * 2
                    for p in 0..<(ho * wo) {
                        let tap = BilinearTap(gridX: coords[2 * p], gridY: coords[2 * p + 1], width: w, height: h)
                        var dx: Float = 0, dy: Float = 0
                        for channel in 0..<c {
                            let plane = pi + (sample * c + channel) * h * w
                            let g = pgy[(sample * c + channel) * ho * wo + p]
                            func value(_ x: Int, _ y: Int) -> Float { x >= 0 && x < w && y >= 0 && y < h ? plane[y * w + x] : 0 }
                            let v00 = value(tap.x0, tap.y0), v10 = value(tap.x0 + 1, tap.y0)
                            let v01 = value(tap.x0, tap.y0 + 1), v11 = value(tap.x0 + 1, tap.y0 + 1)
                            dx += g * ((v10 - v00) * (1 - tap.wy1) + (v11 - v01) * tap.wy1)
                            dy += g * ((v01 - v00) * (1 - tap.wx1) + (v11 - v10) * tap.wx1)
                        }
                        // d(ix)/d(gridX) = W/2 with align_corners=false.
                        out[2 * p] = dx * Float(w) / 2
                        out[2 * p + 1] = dy * Float(h) / 2
                    }
                }
            }
        }
        return record("gridSampleGridGradient", output: output, inputs: [input, gy, grid]) { _, _, _ in
            throw EngineError("gridSampleGridGradient", "second-order gradients through the sampling grid are not supported")
        }
    }

    private static func gridSampleShapes(_ input: [Int], _ grid: [Int]) throws -> (Int, Int, Int, Int, Int, Int) {
        guard input.count == 4, grid.count == 4, grid[3] == 2, grid[0] == input[0] else {
            throw EngineError.shapes("gridSample", "needs input [N, C, H, W] and grid [N, Ho, Wo, 2]", input, grid)
        }
        return (input[0], input[1], input[2], input[3], grid[1], grid[2])
    }
}
