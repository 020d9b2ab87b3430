import NN
import Tensor

/// Calibration batches run through the model in parts. A capture or a gradient pass over a
/// batch of 128 CIFAR images writes every layer's output for all 128 before the next layer
/// starts (8 MB a layer at ResNet's first stage, the stored maps of a gradient pass far
/// more); in parts of 32 images a core, each layer's input and output stay in the caches and
/// the pass keeps a quarter of the memory. The results are the same up to rounding (a
/// kernel may choose another path for a part of one or two images): the model runs in
/// evaluation mode (no batch statistics), the kept maps are stacked in order, and a
/// gradient part gets the whole batch's mean loss gradient (`CrossEntropy.compute(meanOver:)`).
///
/// AMD EPYC (Zen 4, family 25 model 17), ResNet-56 Taylor over 5 batches of 128
/// (`topiary bench criteria`), 3 alternating rounds, 1 | 2 threads: whole batches 1672–1694 |
/// 849 ms, parts of 64 1597–1602 | 812–819, parts of 32 1556–1572 | 832–840; peak memory of
/// the bench 1.07 → 0.82 GB.
extension Calibration {
    /// Whether batches run in parts (`topiary bench --ab calibration-parts`).
    nonisolated(unsafe) public static var runsInParts = true
    /// Input floats a thread takes in one part: 2¹⁷, ~42 images of 3×32×32 (parts of 32
    /// images a thread for a batch of 128).
    nonisolated(unsafe) public static var partInputFloats = 1 << 17
    /// Weights of at least this many bytes are "large": a part must use each of them
    /// `partWeightUses` times, or their traffic outweighs what the part saves. VGG-16's
    /// 512-channel convolutions on 2×2 maps (9.4 MB, 4 uses an image) keep parts of 128 images
    /// a thread; smaller parts ran its inference 1.6× slower per image (32 against 128 images,
    /// one thread). ResNet-56's largest layer has 147 KB.
    nonisolated(unsafe) public static var largeWeightBytes = 1 << 19
    nonisolated(unsafe) public static var partWeightUses = 512
    /// Parts run since the process started (tests check that batches were split).
    nonisolated(unsafe) public static var partsRun = 0

    /// The image ranges a batch of `images` (`perImage` input floats each) runs in on
    /// `threads` cores: as few parts as keep a part within `partInputFloats` a thread, but
    /// at least `floor` images a thread (`imagesFloor`), of equal sizes to one image. One
    /// range for a batch that fits.
    public static func partRanges(images: Int, perImage: Int, threads: Int, floor: Int = 1) -> [Range<Int>] {
        let perThread = max(1, floor, partInputFloats / max(perImage, 1))
        guard perThread < images else { return [0..<images] }
        let most = max(1, threads) * perThread, count = (images + most - 1) / most
        guard count > 1 else { return [0..<images] }
        return (0..<count).map { k in images * k / count ..< images * (k + 1) / count }
    }

    /// The images a thread a part must hold so that each layer with large weights uses them
    /// `partWeightUses` times (its MACs per image over its parameters: the output positions
    /// of a convolution, 1 for a linear layer).
    public static func imagesFloor(_ layers: [LayerCount]) -> Int {
        var floor = 1
        for l in layers where l.params > 0 && l.macs > 0 && l.params * 4 >= largeWeightBytes {
            let uses = max(1, (Double(l.macs) / Double(l.params)).rounded())   // a bias's few parameters aside
            floor = max(floor, Int((Double(partWeightUses) / uses).rounded(.up)))
        }
        return floor
    }
}
