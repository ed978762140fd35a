import Foundation

/// How many bytes one read of a file may bring into memory: inflated archive members and
/// materialised tensors together. Every allocation whose size comes from the file is charged here
/// *before* it is made, so a small hostile file ends in an error instead of gigabytes of RSS.
///
/// A legitimate file needs at most twice its own size: its storages once (inflated when the
/// archive is compressed, which for float weights gains far less than 2:1) and the tensors viewing
/// them once. Only two things make data grow beyond that, deflate and expanding views (stride 0 or
/// overlapping strides), and together they get a growth allowance of `growthFactor` × the file
/// size, at least `minimumGrowth` (so a small file can still hold a small expanded buffer) and at
/// most `maximumGrowth`. A file under 10 MB can therefore never materialise more than about
/// 100 MB, far below the 1 GiB the CLI promises for hostile inputs.
public final class MaterializationBudget {
    public static let growthFactor = 8
    public static let minimumGrowth = 64 << 20
    public static let maximumGrowth = 4 << 30

    public let limit: Int
    public private(set) var charged = 0

    /// The budget for reading a file (or archive) of `sourceBytes` bytes. Sizes are clamped to
    /// 2^56 bytes (far beyond any mappable file), so none of this arithmetic can overflow.
    public init(sourceBytes: Int) {
        let size = min(max(sourceBytes, 0), 1 << 56)
        let growth = min(Self.maximumGrowth, max(Self.minimumGrowth, size * Self.growthFactor))
        limit = 2 * size + growth
    }

    /// Reserves `bytes` for `what`, or throws when the file's total would exceed the limit.
    public func charge(_ bytes: Int, for what: @autoclosure () -> String) throws {
        let (total, overflow) = charged.addingReportingOverflow(bytes)
        guard bytes >= 0, !overflow, total <= limit else {
            throw InteropError("\(what()) needs \(bytes) bytes on top of the \(charged) already read, more than the "
                + "\(limit) bytes a file of this size may expand to (twice its size, plus \(Self.growthFactor) times its "
                + "size for compression and expanded views, between \(Self.minimumGrowth >> 20) MiB and \(Self.maximumGrowth >> 30) GiB)")
        }
        charged = total
    }

    /// `elementCount` × `width`, with overflow reported as an error naming `what`.
    public static func byteCount(_ elementCount: Int, width: Int, for what: @autoclosure () -> String) throws -> Int {
        let (bytes, overflow) = elementCount.multipliedReportingOverflow(by: width)
        guard !overflow, elementCount >= 0 else { throw InteropError("\(what()) has \(elementCount) elements, too many to count in bytes") }
        return bytes
    }
}
