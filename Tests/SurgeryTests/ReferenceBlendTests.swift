import Checkpoint
import Networks
import Foundation
import Surgery
import TestSupport
import Testing

/// Parity with the reference blends in NAME.ref.npz: `blend_swapR` and `blend_masked` are synthesis(ws_psi07)
/// of networks built by the reference code. They are compared through `generate --ws` with ws_psi07, so that a
/// blend is checked apart from the mapping network (which the truncation tests of ReferenceParityTests cover).
@Suite(.enabled(if: Fixtures.available, Fixtures.missing))
struct ReferenceBlendTests {
    static let swapCases: [(String, Int)] = [("tiny32", [4, 8, 16, 32]), ("tiny64", [4, 8, 16, 32, 64])]
        .flatMap { name, resolutions in resolutions.map { (name, $0) } }

    @Test(arguments: swapCases)
    func swapAtEveryResolution(name: String, resolution: Int) throws {
        let folder = try TemporaryDirectory()
        let (base, style) = try Inputs.pair(name, in: folder)
        let output = folder.file("swap\(resolution).h5").path
        _ = try Inputs.swap(base, style, at: resolution, output: output)
        let reference = try Inputs.reference(name)
        let images = try Inputs.synthesize(output, ws: reference["ws_psi07"]!, in: folder)
        let difference = maxDifferences(images, try reference["blend_swap\(resolution)"]!.floats())
        print("\(name) swap at \(resolution): max abs difference \(difference.absolute)")
        #expect(difference.absolute <= 1e-4)
        // The swap must matter: away from the full-resolution case the result is not the base's image.
        if try resolution < CheckpointReader.open(base).architecture.resolution {
            #expect(maxDifferences(images, try reference["img_psi07"]!.floats()).absolute > 1e-2)
        }
    }

    @Test(arguments: Fixtures.names)
    func maskedBlend(name: String) throws {
        let folder = try TemporaryDirectory()
        let (base, style) = try Inputs.pair(name, in: folder)
        let reference = try Inputs.reference(name)
        let mask = try Inputs.doubles(reference["blend_mask"]!)
        let weights = Dictionary(uniqueKeysWithValues: mask.enumerated().map { (4 << $0.offset, $0.element) })
        let output = folder.file("masked.h5").path
        let recipe = Recipe(action: .blend(BlendRecipe(base: base, style: style, schedule: .weights(weights))), output: output)
        let job = try SurgeryJob(recipe)
        #expect(job.plan.styleWeights.map(\.weight) == mask)
        _ = try job.run(durable: false)
        let images = try Inputs.synthesize(output, ws: reference["ws_psi07"]!, in: folder)
        let difference = maxDifferences(images, try reference["blend_masked"]!.floats())
        print("\(name) blend with mask \(mask): max abs difference \(difference.absolute)")
        #expect(difference.absolute <= 1e-4)
    }
}
