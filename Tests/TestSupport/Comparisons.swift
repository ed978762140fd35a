/// Where two arrays differ, in one line. swift-testing describes a failed `#expect(a == b)` on arrays by diffing them
/// element by element, in time that grows with the square of their length when most elements differ: 20 000 floats
/// took seconds, and 300 000 (a broken col2im in Col2imTests, now Im2colTests) ran for over ten minutes. Arrays that can be large are
/// compared with `#expect(mismatch(a, b) == nil)`, which fails fast and names the first difference.
public struct Mismatch: Equatable, CustomStringConvertible {
    public let description: String
}

/// nil when `a` and `b` are equal element by element (`==`, so NaN differs from itself as in `a == b`).
public func mismatch<T: Equatable>(_ a: [T], _ b: [T]) -> Mismatch? {
    var differing = 0
    var first: Int?
    for i in 0..<min(a.count, b.count) where a[i] != b[i] {
        differing += 1
        if first == nil { first = i }
    }
    guard differing > 0 || a.count != b.count else { return nil }
    let lengths = a.count == b.count ? "\(a.count) elements" : "\(a.count) against \(b.count) elements"
    let firstDifference = first.map { ", the first at \($0): \(a[$0]) against \(b[$0])" } ?? ""
    return Mismatch(description: "\(lengths), \(differing) differing\(firstDifference)")
}
