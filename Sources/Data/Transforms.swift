import Tensor

/// A batch travelling through a loader's transforms.
public struct Batch {
    public var input: Tensor
    public var target: Tensor
    public init(input: Tensor, target: Tensor) { self.input = input; self.target = target }
}

/// A batch transform. Loaders apply transforms to whole batches (N×C×H×W), in order.
/// Random choices come from `rng`, a generator derived from the loader's seed, the
/// epoch and the batch index, so the result does not depend on thread timing.
public protocol Transform: AnyObject, CustomStringConvertible {
    /// True when the transform may run on the loader's background thread. Hooks into an
    /// interpreter (Lua functions) return false and run on the consumer's thread.
    var runsInBackground: Bool { get }
    func apply(_ batch: Batch, rng: inout Xoshiro256) throws -> Batch
}

/// Transforms applied one after the other.
public final class Compose: Transform {
    public let transforms: [Transform]
    public init(_ transforms: [Transform]) { self.transforms = transforms }
    public var runsInBackground: Bool { transforms.allSatisfy(\.runsInBackground) }
    public var description: String { "compose{" + transforms.map(\.description).joined(separator: ", ") + "}" }

    public func apply(_ batch: Batch, rng: inout Xoshiro256) throws -> Batch {
        var b = batch
        for t in transforms { b = try t.apply(b, rng: &rng) }
        return b
    }

    /// Nested compositions flattened into one list.
    public static func flatten(_ ts: [Transform]) -> [Transform] {
        ts.flatMap { ($0 as? Compose).map { flatten($0.transforms) } ?? [$0] }
    }
}

/// Checks that a batch is N×C×H×W.
func checkImages(_ x: Tensor, _ op: String) throws {
    guard x.dim == 4 else {
        throw TensorError("\(op): expected a batch of images N×C×H×W, got shape \(shapeString(x.shape))")
    }
}

/// `(x - mean[c]) / std[c]` per channel (one value applies to every channel).
public final class Normalize: Transform {
    public let mean: [Float], std: [Float]

    public init(mean: [Float], std: [Float]) throws {
        guard !mean.isEmpty, mean.count == std.count else {
            throw TensorError("normalize: mean has \(mean.count) values and std \(std.count); give one per channel")
        }
        guard std.allSatisfy({ $0 != 0 && $0.isFinite }), mean.allSatisfy(\.isFinite) else {
            throw TensorError("normalize: std must be finite and non-zero, mean finite")
        }
        self.mean = mean; self.std = std
    }

    public var runsInBackground: Bool { true }
    public var description: String { "normalize{mean = \(mean), std = \(std)}" }

    public func apply(_ batch: Batch, rng: inout Xoshiro256) throws -> Batch {
        let x = try batch.input.toFloat().contiguous()
        guard x.dim >= 2 else { throw TensorError("normalize: expected a batch N×C×…, got shape \(shapeString(x.shape))") }
        let n = x.shape[0], c = x.shape[1], plane = x.shape.dropFirst(2).reduce(1, *)
        guard mean.count == 1 || mean.count == c else {
            throw TensorError("normalize: \(mean.count) means for a batch with \(c) channels")
        }
        let out = try Tensor(uninitialized: x.shape)
        x.withFloats { xp in
            for i in 0..<n {
                for ch in 0..<c {
                    let m = mean[mean.count == 1 ? 0 : ch], inv = 1 / std[std.count == 1 ? 0 : ch]
                    let p = xp + (i * c + ch) * plane, q = out.ptr + (i * c + ch) * plane
                    for k in 0..<plane { q[k] = (p[k] - m) * inv }
                }
            }
        }
        return Batch(input: out, target: batch.target)
    }
}

/// torchvision's RandomCrop: zero-pads each image by `padding` on every side, then
/// crops `height`×`width` at a random position (top drawn first, then left).
public final class RandomCrop: Transform {
    public let height: Int, width: Int, padding: Int

    public init(height: Int, width: Int, padding: Int = 0) throws {
        guard height > 0, width > 0, padding >= 0 else {
            throw TensorError("random_crop: size must be positive and padding non-negative (got \(height)×\(width), padding \(padding))")
        }
        guard height <= 1 << 31, width <= 1 << 31, padding <= 1 << 31 else {   // h + 2·padding cannot overflow
            throw TensorError("random_crop: size \(height)×\(width) or padding \(padding) is too large (at most \(1 << 31))")
        }
        self.height = height; self.width = width; self.padding = padding
    }

    public var runsInBackground: Bool { true }
    public var description: String { "random_crop{\(height), \(width), padding = \(padding)}" }

    public func apply(_ batch: Batch, rng: inout Xoshiro256) throws -> Batch {
        let x = try batch.input.toFloat().contiguous()
        try checkImages(x, "random_crop")
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        guard h + 2 * padding >= height, w + 2 * padding >= width else {
            throw TensorError("random_crop: crop \(height)×\(width) is larger than the padded image \(h + 2 * padding)×\(w + 2 * padding)")
        }
        let out = try Tensor.allocate([n, c, height, width], "random_crop")
        x.withFloats { xp in
            for i in 0..<n {
                let top = rng.nextInt(h + 2 * padding - height + 1) - padding
                let left = rng.nextInt(w + 2 * padding - width + 1) - padding
                // Output pixel (r, s) reads input (top + r, left + s) when inside.
                let r0 = max(0, -top), r1 = min(height, h - top)
                let s0 = max(0, -left), s1 = min(width, w - left)
                guard r1 > r0, s1 > s0 else { continue }
                for ch in 0..<c {
                    let p = xp + (i * c + ch) * h * w, q = out.ptr + (i * c + ch) * height * width
                    for r in r0..<r1 {
                        (q + r * width + s0).update(from: p + (top + r) * w + left + s0, count: s1 - s0)
                    }
                }
            }
        }
        return Batch(input: out, target: batch.target)
    }
}

/// Mirrors each image left–right with probability `p`.
public final class HorizontalFlip: Transform {
    public let p: Double

    public init(p: Double = 0.5) throws {
        guard p >= 0 && p <= 1 else { throw TensorError("hflip: probability must be in [0, 1], got \(p)") }
        self.p = p
    }

    public var runsInBackground: Bool { true }
    public var description: String { "hflip{p = \(p)}" }

    public func apply(_ batch: Batch, rng: inout Xoshiro256) throws -> Batch {
        let x = try batch.input.toFloat().contiguous()
        try checkImages(x, "hflip")
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let out = try x.clone()
        x.withFloats { xp in
            for i in 0..<n where rng.nextDouble() < p {
                for row in 0..<(c * h) {
                    let src = xp + i * c * h * w + row * w, dst = out.ptr + i * c * h * w + row * w
                    for k in 0..<w { dst[k] = src[w - 1 - k] }
                }
            }
        }
        return Batch(input: out, target: batch.target)
    }
}
