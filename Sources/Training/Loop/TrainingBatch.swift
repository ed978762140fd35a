import Engine
import Foundation

/// Minibatches for the training loop: real images as float [−1, 1] (x/127.5 − 1), mirrored copies
/// flipped along the width, and labels.
enum TrainingBatch {
    /// The share's `count` images of the next minibatch: the sampler advances over the whole batch
    /// (`count · ranks` images), and only this rank's are read.
    static func load(_ dataset: ImageDataset, sampler: inout TrainingSampler, count: Int, share: BatchShare = .whole) throws -> (Tensor, Tensor?) {
        let r = dataset.resolution, c = dataset.channels
        let plane = r * r
        var values = [Float](repeating: 0, count: count * c * plane)
        var labels: [Float] = []
        let wholeBatch = try (0..<(count * share.ranks)).map { _ in try sampler.next() }
        for (n, index) in share.globalIndices(localCount: count).enumerated() {
            let item = wholeBatch[index]
            let pixels = try dataset.image(at: item.index)
            guard pixels.count == c * plane else {
                throw TrainingError("\(dataset.source): image \(item.index) has \(pixels.count) values, expected \(c)×\(r)×\(r)")
            }
            let base = n * c * plane
            for channel in 0..<c {
                for y in 0..<r {
                    for x in 0..<r {
                        let sourceX = item.flipped ? r - 1 - x : x
                        values[base + channel * plane + y * r + x] = Float(pixels[channel * plane + y * r + sourceX]) / 127.5 - 1
                    }
                }
            }
            if dataset.labelDimension > 0 { labels += try dataset.label(at: item.index) }
        }
        let images = try Tensor(shape: [count, c, r, r], values: values)
        let labelTensor = dataset.labelDimension > 0 ? try Tensor(shape: [count, dataset.labelDimension], values: labels) : nil
        return (images, labelTensor)
    }

    /// Labels of random data set images for the generator (conditional models); nil when unconditional.
    /// Drawn for the whole batch; the share keeps its rows.
    static func randomLabels(_ dataset: ImageDataset, count: Int, cDim: Int, rng: inout RandomState, share: BatchShare = .whole) throws -> Tensor? {
        guard cDim > 0 else { return nil }
        guard dataset.labelDimension == cDim else {
            throw TrainingError("the model expects labels of dimension \(cDim), the data set has \(dataset.labelDimension)")
        }
        var labels: [Float] = []
        for _ in 0..<(count * share.ranks) { labels += try dataset.label(at: rng.nextInt(below: dataset.count)) }
        return try share.rows(of: Tensor(shape: [count * share.ranks, cDim], values: labels))
    }
}
