import Foundation

/// A small square matrix in homogeneous coordinates: 3×3 for image-plane geometry, 4×4 for RGB colour.
/// Kept in float64 so that composing many transforms adds no visible error before the float32 images see it.
public struct HomogeneousMatrix: Equatable, Sendable, CustomStringConvertible {
    public let size: Int
    /// Row-major entries.
    public private(set) var entries: [Double]

    public init(size: Int, entries: [Double]) {
        precondition(entries.count == size * size, "a \(size)×\(size) matrix needs \(size * size) entries")
        self.size = size
        self.entries = entries
    }

    public init(rows: [[Double]]) {
        self.init(size: rows.count, entries: rows.flatMap { $0 })
    }

    public static func identity(_ size: Int) -> HomogeneousMatrix {
        HomogeneousMatrix(size: size, entries: (0..<size * size).map { $0 % (size + 1) == 0 ? 1 : 0 })
    }

    public subscript(row: Int, column: Int) -> Double {
        get { entries[row * size + column] }
        set { entries[row * size + column] = newValue }
    }

    public var isIdentity: Bool { self == .identity(size) }

    public static func * (a: HomogeneousMatrix, b: HomogeneousMatrix) -> HomogeneousMatrix {
        precondition(a.size == b.size, "cannot multiply a \(a.size)×\(a.size) by a \(b.size)×\(b.size) matrix")
        var product = HomogeneousMatrix(size: a.size, entries: Array(repeating: 0, count: a.size * a.size))
        for i in 0..<a.size {
            for j in 0..<a.size {
                product[i, j] = (0..<a.size).reduce(0) { $0 + a[i, $1] * b[$1, j] }
            }
        }
        return product
    }

    /// The matrix applied to a column vector.
    public func applied(to vector: [Double]) -> [Double] {
        precondition(vector.count == size, "vector length \(vector.count) does not match a \(size)×\(size) matrix")
        return (0..<size).map { i in (0..<size).reduce(0) { $0 + self[i, $1] * vector[$1] } }
    }

    public var description: String {
        (0..<size).map { i in (0..<size).map { String(format: "%.6g", self[i, $0]) }.joined(separator: " ") }.joined(separator: "; ")
    }
}

// MARK: - Image-plane transforms (3×3), in pixel units about the image centre

extension HomogeneousMatrix {
    public static func translation2D(_ tx: Double, _ ty: Double) -> HomogeneousMatrix {
        HomogeneousMatrix(rows: [[1, 0, tx], [0, 1, ty], [0, 0, 1]])
    }

    public static func scale2D(_ sx: Double, _ sy: Double) -> HomogeneousMatrix {
        HomogeneousMatrix(rows: [[sx, 0, 0], [0, sy, 0], [0, 0, 1]])
    }

    /// Counter-clockwise in (x right, y down) pixel coordinates, i.e. x' = x·cos θ − y·sin θ.
    public static func rotation2D(_ theta: Double) -> HomogeneousMatrix {
        rotation2D(cosine: cos(theta), sine: sin(theta))
    }

    /// Rotation by `quarterTurns` × 90°, with exact 0/±1 entries (cos(π/2) in floating point is not 0,
    /// and exact entries are what lets a rotate90 be recognised and executed as a pixel permutation).
    public static func quarterRotation2D(_ quarterTurns: Int) -> HomogeneousMatrix {
        let exact: [(Double, Double)] = [(1, 0), (0, 1), (-1, 0), (0, -1)]
        let (c, s) = exact[((quarterTurns % 4) + 4) % 4]
        return rotation2D(cosine: c, sine: s)
    }

    private static func rotation2D(cosine c: Double, sine s: Double) -> HomogeneousMatrix {
        HomogeneousMatrix(rows: [[c, -s, 0], [s, c, 0], [0, 0, 1]])
    }
}

// MARK: - Colour transforms (4×4) acting on (R, G, B, 1)

extension HomogeneousMatrix {
    /// The luma axis (1, 1, 1)/√3 that lumaflip, hue and saturation act about.
    static let lumaAxis: [Double] = [1, 1, 1].map { $0 / 3.0.squareRoot() }

    public static func translation3D(_ t: Double) -> HomogeneousMatrix {
        HomogeneousMatrix(rows: [[1, 0, 0, t], [0, 1, 0, t], [0, 0, 1, t], [0, 0, 0, 1]])
    }

    public static func scale3D(_ s: Double) -> HomogeneousMatrix {
        HomogeneousMatrix(rows: [[s, 0, 0, 0], [0, s, 0, 0], [0, 0, s, 0], [0, 0, 0, 1]])
    }

    /// I + (weight − 1)·vvᵀ on the RGB block, v the luma axis: weight −1 is the Householder reflection
    /// (lumaflip); weight 1 is the identity.
    public static func lumaScaling(_ weight: Double) -> HomogeneousMatrix {
        rgbBlock { i, j in (i == j ? 1 : 0) + (weight - 1) * lumaAxis[i] * lumaAxis[j] }
    }

    /// vvᵀ + (I − vvᵀ)·s: keeps the luma component and scales the chroma plane by s.
    public static func saturation(_ s: Double) -> HomogeneousMatrix {
        rgbBlock { i, j in lumaAxis[i] * lumaAxis[j] + ((i == j ? 1 : 0) - lumaAxis[i] * lumaAxis[j]) * s }
    }

    /// Rotation by θ about the luma axis (Rodrigues' formula).
    public static func hueRotation(_ theta: Double) -> HomogeneousMatrix {
        let v = lumaAxis, c = cos(theta), s = sin(theta)
        let cross: [[Double]] = [[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]]
        return rgbBlock { i, j in v[i] * v[j] * (1 - c) + (i == j ? c : 0) + cross[i][j] * s }
    }

    /// A 4×4 matrix whose RGB block is `entry(i, j)` and whose homogeneous row and column are the identity's.
    /// (The reference's saturation matrix carries s in its [3, 3] corner; only the RGB rows are ever
    /// applied, so leaving the corner at 1 changes no output.)
    private static func rgbBlock(_ entry: (Int, Int) -> Double) -> HomogeneousMatrix {
        var m = identity(4)
        for i in 0..<3 { for j in 0..<3 { m[i, j] = entry(i, j) } }
        return m
    }
}
