import Imaging
import Testing
@testable import Training

@Suite struct ResizeTests {
    static func image(width: Int, height: Int, channels: Int = 1, _ value: (Int, Int, Int) -> Int) throws -> Image8 {
        var pixels: [UInt8] = []
        for y in 0..<height { for x in 0..<width { for c in 0..<channels { pixels.append(UInt8(value(x, y, c))) } } }
        return try Image8(width: width, height: height, channels: channels, pixels: pixels)
    }

    @Test(arguments: ResizeFilter.allCases)
    func constantImagesStayConstant(filter: ResizeFilter) throws {
        let colour = [17, 128, 250]
        for (from, to) in [((37, 23), (16, 16)), ((8, 8), (20, 20)), ((64, 64), (16, 16)), ((5, 9), (3, 7))] {
            let source = try Self.image(width: from.0, height: from.1, channels: 3) { _, _, c in colour[c] }
            let resized = ImageResampler.resize(source, width: to.0, height: to.1, filter: filter)
            #expect(resized.width == to.0 && resized.height == to.1)
            for (i, value) in resized.pixels.enumerated() {
                #expect(Int(value) == colour[i % 3], "pixel \(i / 3) channel \(i % 3) of \(from) → \(to)")
            }
        }
    }

    @Test func boxDownscaleAveragesEachBlock() throws {
        let source = try Self.image(width: 4, height: 4) { x, y, _ in x * 10 + y * 50 }
        let resized = ImageResampler.resize(source, width: 2, height: 2, filter: .box)
        // Block (bx, by) holds x ∈ {2bx, 2bx+1}, y ∈ {2by, 2by+1}: mean = (2bx + 0.5)·10 + (2by + 0.5)·50.
        #expect(resized.pixels == [30, 50, 130, 150])
    }

    @Test func boxWeighsPartlyCoveredPixelsByArea() throws {
        let source = try Self.image(width: 3, height: 1) { x, _, _ in [0, 90, 180][x] }
        let resized = ImageResampler.resize(source, width: 2, height: 1, filter: .box)
        // Output 0 covers pixel 0 and half of pixel 1: (0 + 45) / 1.5; output 1 the other half and pixel 2.
        #expect(resized.pixels == [30, 150])
    }

    @Test func lanczosKeepsALinearRampAwayFromTheEdges() throws {
        let source = try Self.image(width: 64, height: 4) { x, _, _ in 2 * x + 40 }
        let resized = ImageResampler.resize(source, width: 16, height: 4, filter: .lanczos)
        for x in 3..<13 {
            let centre = Double(x) * 4 + 1.5  // output pixel x spans source pixels 4x…4x+3
            #expect(abs(Double(resized.pixels[x]) - (2 * centre + 40)) <= 0.5, "column \(x): \(resized.pixels[x])")
        }
        // Same-size resizing is the identity.
        #expect(ImageResampler.resize(source, width: 64, height: 4, filter: .lanczos) == source)
    }

    @Test func lanczosUpscaleGoesThroughTheSourceSamplesOfASmoothImage() throws {
        let source = try Self.image(width: 16, height: 16) { x, y, _ in 100 + x * 3 + y * 2 }
        let resized = ImageResampler.resize(source, width: 32, height: 32, filter: .lanczos)
        // Output pixel 2k+1 lies 0.25 source pixels right of source pixel k: the plane's value there.
        for y in 4..<12 {
            for x in 4..<12 {
                let expected = 100 + (Double(x) + 0.25) * 3 + (Double(y) + 0.25) * 2
                #expect(abs(Double(resized.pixels[(2 * y + 1) * 32 + 2 * x + 1]) - expected) <= 0.5)
            }
        }
    }

    @Test func centreSquareCutsTheMiddle() throws {
        let wide = try Self.image(width: 6, height: 4) { x, _, _ in x }
        let cropped = ImageResampler.centerSquare(wide)
        #expect(cropped.width == 4 && cropped.height == 4)
        #expect(Array(cropped.pixels.prefix(4)) == [1, 2, 3, 4])
        let tall = try Self.image(width: 3, height: 6, channels: 3) { _, y, c in y * 10 + c }
        let square = ImageResampler.centerSquare(tall)
        #expect(square.width == 3 && square.height == 3)
        #expect(square.pixels[0] == 10 && square.pixels[2 * 9] == 30 && square.pixels[2 * 9 + 2] == 32)
    }
}
