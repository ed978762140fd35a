import Foundation
import Surgery
import Testing

struct BlockScheduleTests {
    let resolutions = [4, 8, 16, 32, 64, 128, 256]

    func weights(_ schedule: BlockSchedule, invert: Bool = false) throws -> [Double] {
        try schedule.styleWeights(resolutions: resolutions, invert: invert).map(\.weight)
    }

    @Test func swapTakesTheBaseUpToR() throws {
        #expect(try weights(.swap(at: 32)) == [0, 0, 0, 0, 1, 1, 1])
        #expect(try weights(.swap(at: 32), invert: true) == [1, 1, 1, 1, 0, 0, 0])
        #expect(try weights(.swap(at: 256)) == [0, 0, 0, 0, 0, 0, 0])
    }

    @Test func logisticIsCentredBetweenRAndTwoRAndNarrowsToTheSwap() throws {
        let smooth = try weights(.logistic(at: 32, width: 1))
        #expect(abs(smooth[3] - 1 / (1 + exp(0.5))) < 1e-12 && abs(smooth[4] - 1 / (1 + exp(-0.5))) < 1e-12)
        #expect(abs(smooth[3] + smooth[4] - 1) < 1e-12)
        #expect(zip(smooth, smooth.dropFirst()).allSatisfy { $0 < $1 })
        let narrow = try weights(.logistic(at: 32, width: 1e-3)), swap = try weights(.swap(at: 32))
        #expect(zip(narrow, swap).allSatisfy { abs($0 - $1) < 1e-100 })
    }

    @Test func listedWeightsDefaultToZero() throws {
        #expect(try weights(.weights(try BlockSchedule.parseWeights("16=0.25, 64=1,256=-0.5"))) == [0, 0, 0.25, 0, 1, 0, -0.5])
        for bad in ["16", "16=x", "16=1,16=0", ""] {
            #expect(throws: SurgeryError.self) { try BlockSchedule.parseWeights(bad) }
        }
    }
}
