import Engine
import Foundation
import Testing
@testable import Training

@Suite struct ControllerTests {
    /// Logits whose signs are `positive` times +1, `negative` times −1 and `zero` times 0.
    func logits(positive: Int, negative: Int, zero: Int = 0) throws -> Tensor {
        let values = Array(repeating: Float(2.5), count: positive) + Array(repeating: Float(-0.1), count: negative)
            + Array(repeating: Float(0), count: zero)
        return try Tensor(shape: [values.count, 1], values: values)
    }

    @Test func updatesEveryFourIterationsBySignOfTheOverfitHeuristic() throws {
        var controller = AdaptiveAugmentController(batchSize: 16)
        var p: Float = 0
        // Batch 16, interval 4, ada_kimg 500: steps of 16·4/500 000 = 0.000128.
        for batchIndex in 1...3 {
            try controller.accumulate(realLogits: logits(positive: 16, negative: 0))
            #expect(controller.endIteration(batchIndex: batchIndex, adjusting: &p) == nil)
        }
        try controller.accumulate(realLogits: logits(positive: 0, negative: 16))
        let update = try #require(controller.endIteration(batchIndex: 4, adjusting: &p))
        // (48 − 16) / 64 = 0.5 < 0.6: p steps down and is clamped at 0.
        #expect(update.realSignMean == 0.5)
        #expect(update.adjustment == -0.000128)
        #expect(p == 0, "p is clamped at 0")

        for batchIndex in 5...8 {
            try controller.accumulate(realLogits: logits(positive: 13, negative: 3))
            controller.endIteration(batchIndex: batchIndex, adjusting: &p)
        }
        #expect(controller.lastUpdate?.realSignMean == 0.625)
        #expect(abs(Double(p) - 0.000128) < 1e-10)
        for batchIndex in 9...12 {
            try controller.accumulate(realLogits: logits(positive: 16, negative: 0))
            controller.endIteration(batchIndex: batchIndex, adjusting: &p)
        }
        #expect(abs(Double(p) - 0.000256) < 1e-10)
    }

    @Test func noChangeAtExactlyTheTarget() throws {
        var controller = AdaptiveAugmentController(batchSize: 5)
        var p: Float = 0.25
        // (4 − 1) / 5 is 0.6 exactly in float64, so the sign of r_t − target is 0.
        try controller.accumulate(realLogits: logits(positive: 4, negative: 1))
        let update = try #require(controller.endIteration(batchIndex: 4, adjusting: &p))
        #expect(update.realSignMean == 0.6)
        #expect(update.adjustment == 0)
        #expect(p == 0.25)
    }

    @Test func zeroLogitsCountAsZeroAndPHasNoUpperClamp() throws {
        var controller = AdaptiveAugmentController(batchSize: 64, adaKimg: AdaptiveAugmentController.defaultAdaKimg(resuming: true))
        var p: Float = 0.9999
        try controller.accumulate(realLogits: logits(positive: 7, negative: 0, zero: 3))
        #expect(controller.pendingRealSignMean == 0.7)
        controller.endIteration(batchIndex: 8, adjusting: &p)
        // 64·4 / 100 000 = 0.00256.
        #expect(abs(Double(p) - (0.9999 + 0.00256)) < 1e-6)
        #expect(p > 1)
    }

    @Test func updateWithNothingReportedLeavesPAlone() {
        var controller = AdaptiveAugmentController(batchSize: 16)
        var p: Float = 0.3
        #expect(controller.endIteration(batchIndex: 4, adjusting: &p) == nil)
        #expect(p == 0.3)
    }

    /// Saving mid-accumulation and continuing from the decoded state gives the same p as not stopping.
    @Test func resumesExactlyFromItsEncodedState() throws {
        func run(stopAfter: Int?) throws -> (Float, AdaptiveAugmentController) {
            var controller = AdaptiveAugmentController(batchSize: 8)
            var p: Float = 0.1
            for batchIndex in 1...10 {
                try controller.accumulate(realLogits: logits(positive: batchIndex % 3 == 0 ? 2 : 7, negative: batchIndex % 3 == 0 ? 6 : 1))
                controller.endIteration(batchIndex: batchIndex, adjusting: &p)
                if batchIndex == stopAfter {
                    controller = try JSONDecoder().decode(AdaptiveAugmentController.self, from: JSONEncoder().encode(controller))
                }
            }
            return (p, controller)
        }
        let uninterrupted = try run(stopAfter: nil), resumed = try run(stopAfter: 6)
        #expect(uninterrupted.0 == resumed.0)
        #expect(uninterrupted.1 == resumed.1)
        #expect(resumed.1.signCount == 16)
    }
}
