import Foundation

/// A small line chart as a PNG-ready image: axes with tick labels, one polyline with markers per
/// series, and a legend (e.g. FID over kimg for `toonkit compare`).
public struct LinePlot {
    public struct Series {
        public var label: String
        public var points: [(x: Double, y: Double)]
        public init(label: String, points: [(x: Double, y: Double)]) {
            self.label = label
            self.points = points
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    public var width = 640
    public var height = 420

    public init(title: String, xLabel: String, yLabel: String, series: [Series]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
    }

    static let palette: [[UInt8]] = [[31, 119, 180], [214, 39, 40], [44, 160, 44], [255, 127, 14], [148, 103, 189], [140, 86, 75]]

    public func render() throws -> Image8 {
        let points = series.flatMap(\.points)
        guard !points.isEmpty else { throw ImagingError("the plot '\(title)' has no data points") }
        var image = Image8(width: width, height: height, channels: 3, fill: 255)
        let area = (left: 70, right: width - 20, top: 40, bottom: height - 60)
        let (xRange, yRange) = (Self.niceRange(points.map(\.x)), Self.niceRange(points.map(\.y)))
        func position(_ x: Double, _ y: Double) -> (Int, Int) {
            let px = Double(area.left) + (x - xRange.low) / (xRange.high - xRange.low) * Double(area.right - area.left)
            let py = Double(area.bottom) - (y - yRange.low) / (yRange.high - yRange.low) * Double(area.bottom - area.top)
            return (Int(px.rounded()), Int(py.rounded()))
        }
        drawAxes(on: &image, area: area, xRange: xRange, yRange: yRange, position: position)
        for (index, line) in series.enumerated() {
            let color = Self.palette[index % Self.palette.count]
            let sorted = line.points.sorted { $0.x < $1.x }
            for (a, b) in zip(sorted, sorted.dropFirst()) {
                let (x0, y0) = position(a.x, a.y), (x1, y1) = position(b.x, b.y)
                Self.line(on: &image, from: (x0, y0), to: (x1, y1), color: color, thickness: 2)
            }
            for point in sorted {
                let (x, y) = position(point.x, point.y)
                Self.fill(on: &image, x: x - 3, y: y - 3, width: 7, height: 7, color: color)
            }
            let legendY = area.top + 6 + index * 14
            Self.fill(on: &image, x: area.right - 170, y: legendY + 2, width: 14, height: 4, color: color)
            BitmapFont.draw(line.label, on: &image, x: area.right - 150, y: legendY, color: color)
        }
        BitmapFont.draw(title, on: &image, x: (width - BitmapFont.width(of: title, scale: 2)) / 2, y: 10, scale: 2)
        BitmapFont.draw(xLabel, on: &image, x: (area.left + area.right - BitmapFont.width(of: xLabel)) / 2, y: height - 22)
        BitmapFont.draw(yLabel, on: &image, x: 6, y: area.top - 16)
        return image
    }

    private func drawAxes(on image: inout Image8, area: (left: Int, right: Int, top: Int, bottom: Int),
                          xRange: (low: Double, high: Double, step: Double), yRange: (low: Double, high: Double, step: Double),
                          position: (Double, Double) -> (Int, Int)) {
        let axis: [UInt8] = [60, 60, 60], grid: [UInt8] = [225, 225, 225]
        for value in stride(from: yRange.low, through: yRange.high + yRange.step / 2, by: yRange.step) {
            let (_, y) = position(xRange.low, value)
            Self.line(on: &image, from: (area.left, y), to: (area.right, y), color: grid, thickness: 1)
            let text = Self.format(value, step: yRange.step)
            BitmapFont.draw(text, on: &image, x: area.left - 6 - BitmapFont.width(of: text), y: y - 3, color: axis)
        }
        for value in stride(from: xRange.low, through: xRange.high + xRange.step / 2, by: xRange.step) {
            let (x, _) = position(value, yRange.low)
            Self.line(on: &image, from: (x, area.bottom), to: (x, area.bottom + 4), color: axis, thickness: 1)
            let text = Self.format(value, step: xRange.step)
            BitmapFont.draw(text, on: &image, x: x - BitmapFont.width(of: text) / 2, y: area.bottom + 8, color: axis)
        }
        Self.line(on: &image, from: (area.left, area.bottom), to: (area.right, area.bottom), color: axis, thickness: 1)
        Self.line(on: &image, from: (area.left, area.top), to: (area.left, area.bottom), color: axis, thickness: 1)
    }

    /// Axis bounds on round numbers with about five steps (a flat series gets a unit-wide range).
    static func niceRange(_ values: [Double]) -> (low: Double, high: Double, step: Double) {
        var low = values.min()!, high = values.max()!
        if high - low < 1e-12 { low -= 0.5; high += 0.5 }
        let rough = (high - low) / 5
        let magnitude = pow(10, (log10(rough)).rounded(.down))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= rough } ?? 10 * magnitude
        return ((low / step).rounded(.down) * step, (high / step).rounded(.up) * step, step)
    }

    /// A tick label with as many decimals as the tick step needs.
    static func format(_ value: Double, step: Double) -> String {
        let decimals = (0...6).first { d in
            let scaled = step * pow(10, Double(d))
            return abs(scaled - scaled.rounded()) < 1e-6 * max(1, scaled)
        } ?? 6
        return String(format: "%.\(decimals)f", value)
    }

    static func fill(on image: inout Image8, x: Int, y: Int, width: Int, height: Int, color: [UInt8]) {
        for yy in max(0, y)..<min(image.height, y + height) {
            for xx in max(0, x)..<min(image.width, x + width) {
                for c in 0..<3 { image.pixels[(yy * image.width + xx) * 3 + c] = color[c] }
            }
        }
    }

    /// A straight segment by sampling along its length (Bresenham's result without its bookkeeping).
    static func line(on image: inout Image8, from a: (Int, Int), to b: (Int, Int), color: [UInt8], thickness: Int) {
        let steps = max(abs(b.0 - a.0), abs(b.1 - a.1), 1)
        for i in 0...steps {
            let x = a.0 + (b.0 - a.0) * i / steps, y = a.1 + (b.1 - a.1) * i / steps
            fill(on: &image, x: x - thickness / 2, y: y - thickness / 2, width: thickness, height: thickness, color: color)
        }
    }
}
