import Foundation
import Testing
import TestSupport
@testable import Checkpoint
import Networks

@Suite struct InspectTests {
    static func summary(layout: any CheckpointLayout = StyleGAN2Layout()) throws -> (TemporaryDirectory, CheckpointSummary) {
        let folder = try TemporaryDirectory()
        let discriminator = [
            TensorEntry(name: "b8.conv0.weight", kind: .parameter, trainable: false, data: Samples.ramp([2, 2, 3, 3])),
            TensorEntry(name: "b4.out.bias", kind: .parameter, data: Samples.ramp([1])),
        ]
        let path = try Samples.write(folder.path("g.h5"), networks: [("toy", Samples.generator), ("critic", discriminator)])
        return (folder, try CheckpointInspector.inspect(path: path, layout: layout))
    }

    /// Groups by the first `b<digits>` component, so the order of resolution groups can be seen on toy networks.
    struct BlockGroups: CheckpointLayout {
        func problems(architecture: JSONValue, networks: [NetworkHeader]) -> [CheckpointProblem] { [] }
        func resolutionGroups(network: NetworkHeader, architecture: JSONValue) -> [String: String] {
            Dictionary(uniqueKeysWithValues: network.tensors.compactMap { tensor in
                tensor.name.split(separator: ".").first { $0.first == "b" && Int($0.dropFirst()) != nil }.map { (tensor.name, String($0.dropFirst())) }
            })
        }
    }

    @Test func jsonIsOneDocumentWithTensorsPerNetwork() throws {
        let (_, summary) = try Self.summary()
        let document = try #require(try JSONSerialization.jsonObject(with: Data(summary.json().utf8)) as? [String: Any])
        let networks = try #require(document["networks"] as? [String: Any])
        #expect(Set(networks.keys) == ["toy", "critic"])
        let generator = try #require(networks["toy"] as? [String: Any])
        let tensors = try #require(generator["tensors"] as? [[String: Any]])
        #expect(tensors.compactMap { $0["name"] as? String } == Samples.generator.map(\.name))
        let scalar = try #require(tensors.first { $0["name"] as? String == "synthesis.b16.conv1.noise_strength" })
        #expect((scalar["shape"] as? [Int]) == [])
        #expect(scalar["dtype"] as? String == "float32")
        #expect(scalar["numel"] as? Int == 1)
        #expect(scalar["bytes"] as? Int == 4)
        let conv = try #require(tensors.first)
        #expect((conv["shape"] as? [Int]) == [4, 2, 3, 3])
        #expect(conv["kind"] as? String == "parameter")
        #expect(conv["trainable"] as? Bool == true)
        #expect((document["architecture"] as? [String: Any])?["resolution"] as? Int == 32)
        #expect((document["provenance"] as? [[String: Any]])?.first?["operation"] as? String == "test")
        #expect((document["totals"] as? [String: Any])?["tensors"] as? Int == Samples.generator.count + 2)
    }

    @Test func totalsSplitParametersBuffersAndFrozenTensors() throws {
        let (_, summary) = try Self.summary()
        let generator = try #require(summary.networks["toy"])
        let buffers = Samples.generator.filter { $0.kind == .buffer }.reduce(0) { $0 + $1.data.count }
        let all = Samples.generator.reduce(0) { $0 + $1.data.count }
        #expect(generator.totals.buffers == buffers)
        #expect(generator.totals.parameters == all - buffers)
        #expect(generator.totals.bytes == all * 4)
        let discriminator = try #require(summary.networks["critic"])
        #expect(discriminator.totals.parameters == 37)
        #expect(discriminator.totals.trainableParameters == 1)
        #expect(summary.networkOrder == ["toy", "critic"])
    }

    @Test func treeAndResolutionsUseNumericAwareOrder() throws {
        let (_, summary) = try Self.summary()
        let generator = try #require(summary.networks["toy"])
        #expect(generator.tree.map(\.name) == ["mapping", "synthesis"])
        let synthesis = try #require(generator.tree.last)
        #expect(synthesis.children.map(\.name) == ["b4", "b8", "b16", "b32"])
        #expect(synthesis.children[1].children.first?.children.first?.path == "synthesis.b8.conv0.weight")
        // The StyleGAN2 layout groups the tensors of G, G_ema and D only; the layout decides, not the names.
        #expect(generator.resolutions.map(\.name) == ["other"])
        let grouped = try #require(Self.summary(layout: BlockGroups()).1.networks["toy"])
        #expect(grouped.resolutions.map(\.name) == ["4", "8", "16", "32", "other"])
        #expect(generator.modules.map(\.name) == ["mapping", "synthesis"])
        #expect(summary.networks["critic"]?.tree.map(\.name) == ["b4", "b8"])
    }

    @Test func numericAwareOrderComparesDigitRunsByValue() {
        let names = ["b256", "b16", "b4", "fc10", "b8", "fc2", "b128", "a"]
        #expect(names.sorted(by: NumericAwareOrder.less) == ["a", "b4", "b8", "b16", "b128", "b256", "fc2", "fc10"])
    }

    @Test func textReportShowsNetworksTreeAndProvenance() throws {
        let (_, summary) = try Self.summary()
        let text = summary.text()
        #expect(text.contains("network toy:"))
        #expect(text.contains("network critic:"))
        #expect(text.contains("parameter frozen"))
        #expect(text.contains("provenance (1 records):"))
        let b4 = try #require(text.range(of: "    b4 "))
        let b16 = try #require(text.range(of: "    b16 "))
        #expect(b4.lowerBound < b16.lowerBound)
    }
}
