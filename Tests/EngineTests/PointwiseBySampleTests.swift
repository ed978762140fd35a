@testable import Engine
import Foundation
import TestSupport
import Testing

/// The 1×1 convolutions of several samples computed sample by sample on the engine's threads (ConvKernels.forward).
@Suite struct PointwiseBySampleTests {
    typealias G = GradCheck

    /// A 1×1 convolution of several samples gives each engine thread whole samples' products, OpenBLAS on one thread
    /// (ConvKernels.pointwiseForwardBySample): the bits of OpenBLAS's threads computing one sample after another.
    @Test func pointwiseBySampleMatchesOneSampleAtATime() throws {
        let (batch, groups, channels, outChannels, plane) = (3, 2, 144, 160, 9 * 11)
        let x = G.random([batch, channels, 9, 11], seed: 55), w = G.random([outChannels, channels / groups, 1, 1], scale: 0.3, seed: 56)
        let (m, k) = (outChannels / groups, channels / groups)
        #expect(!SkinnyGemm.suits(transposeA: false, transposeB: false, m: m, n: plane, k: k))
        let y = try Tensor.conv2d(x, w, ConvOptions(groups: groups))
        var expected = [Float](repeating: .nan, count: batch * outChannels * plane)
        expected.withUnsafeMutableBufferPointer { out in
            for n in 0..<batch {
                for group in 0..<groups {
                    sgemm(transposeA: false, transposeB: false, m: m, n: plane, k: k, a: w.pointer + group * m * k, lda: k,
                          b: x.pointer + (n * channels + group * k) * plane, ldb: plane,
                          c: out.baseAddress! + (n * outChannels + group * m) * plane, ldc: plane)
                }
            }
        }
        #expect(y.scalars.map(\.bitPattern) == expected.map(\.bitPattern))
        #expect(ForwardTests.maxDifference(y.scalars, ForwardTests.naiveConv2d(x, w, stride: 1, padding: 0, groups: groups)) < 1e-4)
    }
}
