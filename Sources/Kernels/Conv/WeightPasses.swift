import Tensor

/// Passes over a convolution's weights that run beside every forward and backward call —
/// repacking, transposing, summing the batch parts' gradients. At VGG's 512-channel layers
/// a weight tensor is 2.4 M floats, and these passes ran on one core while the other
/// waited (~7 % of a two-thread VGG-16 training step); they now split over output
/// channels. Each weight is still moved or summed by the same operations in the same
/// order, so results are bit-for-bit those of the serial passes.
extension Conv2dKernel {
    /// Weights per parallel range at least (smaller tensors stay on one thread).
    static let weightGrain = 1 << 16

    /// Runs `body` on ranges of output channels, across threads (with `forEachWeight`
    /// inside: the per-weight closure is then inlined; called through a closure per
    /// weight from the parallel region, the tap packing ran 9× slower).
    static func splitOutputChannels(_ g: ConvGeometry, _ body: (Range<Int>) -> Void) {
        let perChannel = max(g.groupIn * g.kernelH * g.kernelW, 1)
        Parallel.ranges(g.outChannels, grain: max(1, weightGrain / perChannel)) { lo, hi in body(lo..<hi) }
    }

    /// Calls `body(k, group, o, i, tap)` for every weight of the output channels `range`
    /// of the [Cout, Cin/groups, kh, kw] layout, in order, `k` its index there (o and i
    /// counted within the group). Split over threads with `splitOutputChannels`, `body`
    /// may write only destinations of its own weight.
    @inline(__always)
    static func forEachWeight(_ g: ConvGeometry, outChannels range: Range<Int>, _ body: (Int, Int, Int, Int, Int) -> Void) {
        let taps = g.kernelH * g.kernelW, perChannel = g.groupIn * taps
        for oc in range {
            let grp = oc / g.groupOut, o = oc % g.groupOut
            var k = oc * perChannel
            for i in 0..<g.groupIn {
                for t in 0..<taps { body(k, grp, o, i, t); k += 1 }
            }
        }
    }

    /// local[i] = local[i] + part 1's [i] + part 2's [i] + … for the `parts` consecutive
    /// blocks of `size` floats at `local` (the batch parts' private weight gradients, summed
    /// in part order).
    static func sumParts(_ local: UnsafeMutablePointer<Float>, parts: Int, size: Int) {
        guard parts > 1 else { return }
        Parallel.ranges(size, grain: weightGrain) { lo, hi in
            for p in 1..<parts {
                let src = local + p * size
                for i in lo..<hi { local[i] += src[i] }
            }
        }
    }

    /// dst[i] += src[i] for `count` floats, split over threads.
    static func addInto(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, count: Int) {
        Parallel.ranges(count, grain: weightGrain) { lo, hi in
            for i in lo..<hi { dst[i] += src[i] }
        }
    }

    /// dst[r·cols + c] (+)= src[c·rows + r]: a [cols, rows] matrix transposed into a
    /// [rows, cols] one, split over `rows`; `accumulate` adds instead of storing.
    static func transposeRows(_ src: UnsafePointer<Float>, rows: Int, cols: Int, into dst: UnsafeMutablePointer<Float>,
                              accumulate: Bool) {
        Parallel.ranges(rows, grain: max(1, weightGrain / max(cols, 1))) { lo, hi in
            for r in lo..<hi {
                let d = dst + r * cols
                if accumulate {
                    for c in 0..<cols { d[c] += src[c * rows + r] }
                } else {
                    for c in 0..<cols { d[c] = src[c * rows + r] }
                }
            }
        }
    }
}
