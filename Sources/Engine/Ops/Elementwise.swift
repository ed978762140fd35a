import Foundation

// Elementwise arithmetic with numpy broadcasting, and unary maths. Each op records a backward
// written with these same ops, so gradients of gradients work.

/// A function of one float that `unaryKernel` applies to every element, and of two that `binaryKernel` applies to every
/// pair: a type rather than a closure, so that each kernel is compiled for its function, whose body the loop inlines (and
/// vectorises where it can). A closure captured by the threads' chunks was called once per element: `perf record` of
/// `bench train --network paper256 --batch 4` put about 4 % of a step in the forwarders of `x * c`, `a * b` and `a + b`.
/// The same operations in the same order, so the same bits.
private protocol ElementFunction { func callAsFunction(_ x: Float) -> Float }
private protocol ElementPairFunction { func callAsFunction(_ a: Float, _ b: Float) -> Float }

private struct Negation: ElementFunction { func callAsFunction(_ x: Float) -> Float { -x } }
private struct Scaling: ElementFunction { let c: Float; func callAsFunction(_ x: Float) -> Float { x * c } }
private struct Shift: ElementFunction { let c: Float; func callAsFunction(_ x: Float) -> Float { x + c } }
private struct Square: ElementFunction { func callAsFunction(_ x: Float) -> Float { x * x } }
private struct SquareRoot: ElementFunction { func callAsFunction(_ x: Float) -> Float { x.squareRoot() } }
private struct ReciprocalSquareRoot: ElementFunction { func callAsFunction(_ x: Float) -> Float { 1 / x.squareRoot() } }
private struct Exponential: ElementFunction { func callAsFunction(_ x: Float) -> Float { Foundation.exp(x) } }
private struct Logarithm: ElementFunction { func callAsFunction(_ x: Float) -> Float { Foundation.log(x) } }
private struct Sigmoid: ElementFunction { func callAsFunction(_ x: Float) -> Float { 1 / (1 + Foundation.exp(-x)) } }
private struct Softplus: ElementFunction { func callAsFunction(_ x: Float) -> Float { x > 20 ? x : Foundation.log1p(Foundation.exp(x)) } }

private struct Sum: ElementPairFunction { func callAsFunction(_ a: Float, _ b: Float) -> Float { a + b } }
private struct Difference: ElementPairFunction { func callAsFunction(_ a: Float, _ b: Float) -> Float { a - b } }
private struct Product: ElementPairFunction { func callAsFunction(_ a: Float, _ b: Float) -> Float { a * b } }
private struct Quotient: ElementPairFunction { func callAsFunction(_ a: Float, _ b: Float) -> Float { a / b } }
/// `Tensor.lerp`'s rounding.
private struct Interpolation: ElementPairFunction {
    let weight: Float
    func callAsFunction(_ start: Float, _ end: Float) -> Float {
        let difference = end - start
        return abs(weight) < 0.5 ? start.addingProduct(weight, difference) : end.addingProduct(-(1 - weight), difference)
    }
}

@inline(__always)
private func binaryKernel<F: ElementPairFunction>(_ a: Tensor, _ b: Tensor, op: String, _ f: F) throws -> Tensor {
    try Profiler.measure(op) { try broadcastingKernel(a, b, op: op, f) }
}

@inline(__always)
private func broadcastingKernel<F: ElementPairFunction>(_ a: Tensor, _ b: Tensor, op: String, _ f: F) throws -> Tensor {
    if a.shape == b.shape {
        let result = Tensor(uninitializedShape: a.shape)
        let pa = a.pointer, pb = b.pointer, po = result.pointer
        parallelChunks(a.count, minimumPerThread: 65536) { range in
            for i in range { po[i] = f(pa[i], pb[i]) }
        }
        return result
    }
    let plan = try BroadcastPlan(a.shape, b.shape, op: op)
    let result = Tensor(uninitializedShape: plan.outputShape)
    let pa = a.pointer, pb = b.pointer, po = result.pointer
    plan.forEachRun(parallel: result.count >= 65536) { oa, ob, oo, n, sa, sb in
        if sa == 1 && sb == 0 {
            let bv = pb[ob]
            for i in 0..<n { po[oo + i] = f(pa[oa + i], bv) }
        } else if sa == 0 && sb == 1 {
            let av = pa[oa]
            for i in 0..<n { po[oo + i] = f(av, pb[ob + i]) }
        } else {
            for i in 0..<n { po[oo + i] = f(pa[oa + i * sa], pb[ob + i * sb]) }
        }
    }
    return result
}

@inline(__always)
private func unaryKernel<F: ElementFunction>(_ x: Tensor, _ f: F) -> Tensor {
    Profiler.measure("elementwise") { elementwiseKernel(x, f) }
}

@inline(__always)
private func elementwiseKernel<F: ElementFunction>(_ x: Tensor, _ f: F) -> Tensor {
    let result = Tensor(uninitializedShape: x.shape)
    let px = x.pointer, po = result.pointer
    parallelChunks(x.count, minimumPerThread: 65536) { range in
        for i in range { po[i] = f(px[i]) }
    }
    return result
}

extension Tensor {
    public static func + (a: Tensor, b: Tensor) throws -> Tensor {
        let output = try binaryKernel(a, b, op: "add", Sum())
        return record("add", output: output, inputs: [a, b]) { g, _, needs in
            [needs[0] ? try g.sum(toShape: a.shape) : nil, needs[1] ? try g.sum(toShape: b.shape) : nil]
        }
    }

    /// self += other in place, when both have one shape and self's storage is held by no other tensor: how autograd adds
    /// a gradient into the one it is accumulating (the bits of self + other, without a new buffer and its page faults).
    /// Returns false, leaving self as it was, otherwise, and for a tensor in a graph. Not recorded: only for sums no graph
    /// needs.
    mutating func addInPlaceIfUnique(_ other: Tensor) -> Bool {
        guard gradNode == nil, shape == other.shape, isKnownUniquelyReferenced(&storage) else { return false }
        keptTransforms = nil
        let target = storage.pointer, source = other.pointer
        Profiler.measure("add (in place)") {
            parallelChunks(count, minimumPerThread: 65536) { range in
                for i in range { target[i] += source[i] }
            }
        }
        return true
    }

    public static func - (a: Tensor, b: Tensor) throws -> Tensor {
        let output = try binaryKernel(a, b, op: "subtract", Difference())
        return record("subtract", output: output, inputs: [a, b]) { g, _, needs in
            [needs[0] ? try g.sum(toShape: a.shape) : nil, needs[1] ? try (-g).sum(toShape: b.shape) : nil]
        }
    }

    public static func * (a: Tensor, b: Tensor) throws -> Tensor {
        let output = try binaryKernel(a, b, op: "multiply", Product())
        return record("multiply", output: output, inputs: [a, b]) { g, _, needs in
            [needs[0] ? try (g * b).sum(toShape: a.shape) : nil, needs[1] ? try (g * a).sum(toShape: b.shape) : nil]
        }
    }

    public static func / (a: Tensor, b: Tensor) throws -> Tensor {
        let output = try binaryKernel(a, b, op: "divide", Quotient())
        return record("divide", output: output, inputs: [a, b]) { g, _, needs in
            [needs[0] ? try (g / b).sum(toShape: a.shape) : nil,
             needs[1] ? try (-(g * a) / b.square()).sum(toShape: b.shape) : nil]
        }
    }

    public static prefix func - (x: Tensor) -> Tensor {
        record("negate", output: unaryKernel(x, Negation()), inputs: [x]) { g, _, _ in [-g] }
    }

    public static func * (x: Tensor, c: Float) -> Tensor {
        record("scale", output: unaryKernel(x, Scaling(c: c)), inputs: [x]) { g, _, _ in [g * c] }
    }

    public static func * (c: Float, x: Tensor) -> Tensor { x * c }

    public static func + (x: Tensor, c: Float) -> Tensor {
        record("addScalar", output: unaryKernel(x, Shift(c: c)), inputs: [x]) { g, _, _ in [g] }
    }

    public static func - (x: Tensor, c: Float) -> Tensor { x + (-c) }

    public func square() -> Tensor {
        Tensor.record("square", output: unaryKernel(self, Square()), inputs: [self]) { g, _, _ in
            [try g * self * 2]
        }
    }

    public func sqrt() -> Tensor {
        Tensor.record("sqrt", output: unaryKernel(self, SquareRoot()), inputs: [self], savesOutput: true) { g, y, _ in
            [try g / y! * 0.5]
        }
    }

    /// 1/√x, as torch.rsqrt computes it (a division of a correctly rounded square root).
    public func rsqrt() -> Tensor {
        Tensor.record("rsqrt", output: unaryKernel(self, ReciprocalSquareRoot()), inputs: [self], savesOutput: true) { g, y, _ in
            [try g * y!.pow3() * -0.5]
        }
    }

    private func pow3() throws -> Tensor { try self * self * self }

    public func exp() -> Tensor {
        Tensor.record("exp", output: unaryKernel(self, Exponential()), inputs: [self], savesOutput: true) { g, y, _ in
            [try g * y!]
        }
    }

    public func log() -> Tensor {
        Tensor.record("log", output: unaryKernel(self, Logarithm()), inputs: [self]) { g, _, _ in
            [try g / self]
        }
    }

    public func sigmoid() -> Tensor {
        Tensor.record("sigmoid", output: unaryKernel(self, Sigmoid()), inputs: [self], savesOutput: true) { g, y, _ in
            [try g * y! * (1 - y!)]
        }
    }

    /// log(1 + eˣ), evaluated without overflow (torch's threshold of 20 above which softplus(x) = x).
    public func softplus() -> Tensor {
        Tensor.record("softplus", output: unaryKernel(self, Softplus()), inputs: [self]) { g, _, _ in [try g * self.sigmoid()] }
    }
}

/// `c - x` for a constant c.
public func - (c: Float, x: Tensor) -> Tensor { -x + c }

extension Tensor {
    /// torch.lerp(start, end, weight) for a scalar weight, with torch's CPU rounding: one fused
    /// multiply-add from the nearer endpoint. Truncation (w_avg.lerp(w, ψ)) must match the reference bit for bit.
    public static func lerp(_ start: Tensor, _ end: Tensor, weight: Float) throws -> Tensor {
        // Equal shapes (the G_ema update, every parameter each step) run in the vector kernels; a broadcast
        // (truncation: one w_avg against every w) is small, and rounds the same way in Swift.
        let output = start.shape == end.shape
            ? Profiler.measure("lerp") { lerpKernel(start, end, weight: weight) }
            : try binaryKernel(start, end, op: "lerp", Interpolation(weight: weight))
        return record("lerp", output: output, inputs: [start, end]) { g, _, needs in
            [needs[0] ? try (g * (1 - weight)).sum(toShape: start.shape) : nil,
             needs[1] ? try (g * weight).sum(toShape: end.shape) : nil]
        }
    }
}

/// lerp of two tensors of one shape with `instructionSet`'s kernel (tests compare the sets).
func lerpKernel(_ start: Tensor, _ end: Tensor, weight: Float, instructionSet: KernelInstructionSet = .active) -> Tensor {
    let result = Tensor(uninitializedShape: start.shape)
    let ps = start.pointer, pe = end.pointer, po = result.pointer
    let lerp = instructionSet.kernels.lerp
    parallelChunks(start.count, minimumPerThread: 65536) { range in
        lerp(range.count, ps + range.lowerBound, pe + range.lowerBound, weight, po + range.lowerBound)
    }
    return result
}
