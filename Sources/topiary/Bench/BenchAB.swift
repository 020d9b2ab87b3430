import Foundation
import Kernels
import NN
import Pruning
import Tensor
import Text

/// `topiary bench --ab NAME`: each selected case timed alternately with a switch off (A,
/// our kernels) and on (B), round after round in one process, so a loaded machine slows
/// both sides alike (the first, third… rounds run A first, the others B first, so neither
/// always runs on the other's warm caches). Prints one JSON line per case and thread count with both medians
/// (over rounds of each round's median) and `speedup_b` = A / B (> 1: B is faster), with
/// `speedup_paired` (the median of each round's A / B) and `speedup_min` (fastest A over
/// fastest B), the two that hold up best when other guests load the host.
/// Knobs: ANCHOR_THREADS, ANCHOR_ONLY as for the plain run; ANCHOR_AB_ROUNDS=6 rounds
/// of ANCHOR_AB_REPS=3 calls per side.
enum BenchAB {
    /// The switches: name → set it on or off.
    static let switches: [String: (Bool) -> Void] = [
        "dnnl": { DNNLConv.mode = $0 ? .on : .off },
        "winograd": { Conv2dKernel.winogradEnabled = $0 },
        "direct": { Conv2dKernel.directEnabled = $0 },
        "prefetch": { Conv2dKernel.prefetchEnabled = $0 },
        // Winograd's chunk products on `WinogradProducts` (B) or OpenBLAS (A)
        "winograd-products": { Conv2dKernel.winogradOwnMaxChannels = $0 ? Conv2dKernel.configuredOwnMaxChannels : 0 },
        // Winograd's V and M point blocks skewed across L1 sets (B) or rows·ld apart (A)
        "skew": { Scratch.skews = $0 },
        // ∂L/∂w by Winograd (B) or by the direct / im2col kernels (A)
        "winograd-dw": { Conv2dKernel.winogradWeightGradientEnabled = $0 },
        // Winograd before direct on the small-channel forwards and dx (B, the default) or not (A)
        "winograd-first": { Conv2dKernel.winogradOverDirect = $0 },
        // BatchNorm + ReLU and residual add + ReLU as one pass while training (B) or not (A)
        "train-fusion": { Sequential.fusesTraining = $0 },
        // a residual block's shortcut gradient added in its first conv's dx pass (B) or after (A)
        "residual-grad": { Residual.addsShortcutGradientInPlace = $0 },
        // gradient passes through frozen evaluation-mode layers (Taylor) fused (B) or layer by layer (A)
        "frozen-fusion": { FusedInference.fusesFrozen = $0 },
        // a frozen group's ReLU mask applied as its conv's input gradient copies dy (B) or as a pass of its own (A)
        "gate-in-conv": { FusedInference.gatesInConvolution = $0 },
        // a residual block's closing ReLU mask applied by the next block's input gradient as it is written (B) or as a pass of its own (A)
        "gate-behind-relu": { GateBehindReLU.enabled = $0 },
        // 2×2 stride-2 max pooling by its own select chain (B) or the general window loop (A)
        "pool-2x2": { Pooling.fastMax2x2 = $0 },
        // a 3×3 stride-2 convolution's im2col ∂L/∂x written once per position (B) or zeroed, then added tap by tap (A)
        "col2im-stride2": { Conv2dKernel.col2imWritesStride2 = $0 },
        // calibration batches run through the model in parts of ~32 images a thread (B) or whole (A)
        "calibration-parts": { Calibration.runsInParts = $0 },
        // a freed buffer of the size asked for taken newest first (B) or oldest first (A)
        "pool-newest": { Storage.reusesNewest = $0 },
        // a request no freed buffer fits exactly served by the head of the smallest larger one (B) or by fresh pages (A)
        "pool-split": { Storage.splitsLarger = $0 },
        // an inference block with an identity shortcut writing its output over an input it alone holds (B) or to a new tensor (A)
        "overwrite-input": { FusedInference.overwritesInput = $0 },
        "overwrite-kept": { FusedInference.overwritesKeptInputs = $0 },
        // inference runs a Conv–BN–ReLU6 as one convolution clamping at 6 (B) or the ReLU6 as its own pass (A)
        "relu6": { FusedInference.fusesReLU6 = $0 },
        // idwt2's row pass reading band rows where they lie, copies made a group ahead (B) or each row copied just before its run (A)
        "synthesis-in-place": { SynthesisRows.readsInPlace = $0 },
        // training BatchNorm's statistics and output (sums and ∂L/∂x) one channel at a time (B) or in two passes (A)
        "bn-channels": { BatchNormKernel.perChannelPasses = $0 },
        // a residual block's closing BatchNorm, add and ReLU as one pass while training (B) or two (A)
        "norm-add": { Residual.fusesClosingNorm = $0 },
        // kernel scratch kept up to 32 buffers / 256 MB, smallest released past the count (B) or 8 / 64 MB, largest first (A)
        "scratch-pool": { Scratch.useOldPoolLimits(!$0) },
        // Winograd forward chunks dealt to the threads as they finish (B) or fixed shares (A)
        "chunk-turns": { ParallelBatch.dealsChunks = $0 },
        // Winograd from 4×4 output planes (B, the default) or from 8×8 (A)
        "winograd-4x4": { Conv2dKernel.winogradMinPlane = $0 ? 4 : 8 },
        // Winograd's products on `WinogradProducts` up to 128 channels (B) or 64 (A)
        "own-128": { Conv2dKernel.winogradOwnMaxChannels = $0 ? 128 : 64 },
        // Winograd's transforms 16 tiles at a time with AVX-512 (B, the default where the CPU has it) or 8 (A)
        "wide-transforms": { Conv2dKernel.wideTransforms = $0 },
        // Winograd's wide input transform deinterleaving runs of four tiles (B) or transposing 16 rows (A)
        "input-runs": { Conv2dKernel.winogradInputRuns = $0 },
        // Winograd chunks of run groups read straight from x, gated in registers (B) or through zero-bordered plane copies (A)
        "direct-input": { Conv2dKernel.winogradDirectInput = $0 },
        // Winograd's wide output transform and store in one call for runs of four tiles (B) or through a tile buffer (A)
        "output-runs": { Conv2dKernel.winogradOutputRuns = $0 },
        // Winograd's wide output transform and store in one call for groups of four 8×8 planes (B) or through a tile buffer (A)
        "output-planes8": { Conv2dKernel.winogradOutputPlanes8 = $0 },
        // Winograd's run groups with their tiles interleaved across the runs (B: no permutes, no lane transpose) or in plain order (A)
        "interleave": { Conv2dKernel.interleavedRuns = $0 },
        // Parallel.forEach on our own spinning workers (B) or DispatchQueue.concurrentPerform (A)
        "workers": { Parallel.usesWorkerPool = $0 },
        // the kernels with an AVX-512 version use it (B, the default where the CPU has it) or not (A)
        "avx512": { CPU.useAVX512 = $0 && CPU.hasAVX512 },
        // a gradient calibration's backward stopped below its earliest point (B) or run to the input (A)
        "stop-backward": { Calibration.stopsBackward = $0 },
        // Winograd weight transforms kept while the weights are unchanged (B) or made every call (A)
        "weight-cache": { WinogradWeightCache.limitBytes = $0 ? WinogradWeightCache.configuredLimitBytes : 0 },
        // the wavelet analysis passes 32 columns / 16 outputs a tap with a vector-wide pad (B) or 8 (A)
        "dwt-blocked": { WaveletPasses.blocked = $0 },
        // small maps moved in and out of the wavelet's lane blocks 8 × 8 at a time (B) or a float at a time (A)
        "lane-transpose": { WaveletPasses.lanesTransposed = $0 },
        // kept maps written by their fused run into the stack (B) or copied there (A)
        "place-maps": { Calibration.placesMaps = $0 },
        // redundancy's channel sums 16384 features a visit of the images (B) or 512 (A)
        "sums-long": { RedundancyCriterion.sumBlock = $0 ? 16384 : 512 },
        // Winograd ∂L/∂w's chunk products by the AVX-512 kernel (B) or the 8-lane Swift tile (A)
        "dw-products-512": { WinogradGradientProducts.wide = $0 },
        // the direct forward's tiles as runs of 16 outputs stored in place (B) or virtual-plane tiles copied out (A)
        "direct-rows": { Conv2dKernel.directOutputRows = $0 },
    ]

    /// Switches with a value, `NAME=N`: name → the value's range and what B sets.
    static let valued: [String: (range: ClosedRange<Int>, set: (Bool, Int) -> Void)] = [
        // Winograd chunks of N tiles (B) or 128 (A, the default): `tiles=256`
        "tiles": (64...4096, { Conv2dKernel.winogradTiles = $0 ? $1 : 128 }),
    ]

    /// The switch `name` names (`switches`, or `valued` with a value in its range), if any.
    static func lookup(_ name: String) -> ((Bool) -> Void)? {
        if let set = switches[name] { return set }
        let parts = name.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, let v = valued[parts[0]], let n = Int(parts[1]), v.range.contains(n) else { return nil }
        return { v.set($0, n) }
    }

    /// Every switch name, valued ones as `NAME=N` with their range (help and errors).
    static var names: String {
        (switches.keys.sorted() + valued.keys.sorted().map { "\($0)=N (N in \(valued[$0]!.range.lowerBound)…\(valued[$0]!.range.upperBound))" })
            .joined(separator: ", ")
    }

    static func run(_ cases: [BenchCase], switch name: String, harness h: BenchHarness) {
        guard let set = lookup(name) else { return }
        let env = ProcessInfo.processInfo.environment
        let rounds = max(1, Int(env["ANCHOR_AB_ROUNDS"] ?? "") ?? 6), reps = max(1, Int(env["ANCHOR_AB_REPS"] ?? "") ?? 3)
        let threads = Parallel.threads
        for c in cases where h.selected(c.name) {
            let body: () throws -> Void
            do { body = try c.prepare() } catch {
                if !(error is BenchSkip) { FileHandle.standardError.write(Data("bench: \(c.name): \(error)\n".utf8)) }
                continue
            }
            for t in h.threads {
                Parallel.threads = t
                BLAS.setThreads(t)
                do {
                    var sides: [[Double]] = [[], []], fastest = [Double.infinity, .infinity]
                    for side in 0..<2 { set(side == 1); try body() }   // warm-up (B creates its primitives)
                    for round in 0..<rounds {
                        // A then B, then B then A: neither side always runs on the other's warm caches
                        for side in round % 2 == 0 ? [0, 1] : [1, 0] {
                            set(side == 1)
                            var times: [Double] = []
                            for _ in 0..<reps {
                                let t0 = DispatchTime.now().uptimeNanoseconds
                                try body()
                                times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
                            }
                            sides[side].append(median(times))
                            fastest[side] = min(fastest[side], times.min() ?? .infinity)
                        }
                    }
                    let a = median(sides[0]), b = median(sides[1])
                    // on a shared host: the median of each round's own ratio (A and B ran back to
                    // back) and the ratio of the fastest runs (load only ever adds time)
                    let paired = median(zip(sides[0], sides[1]).map { $0 / $1 })
                    print(JSON.object([("case", .string(c.name)), ("ab", .string(name)), ("threads", .int(t)),
                                       ("a_ms", .double(round3(a))), ("b_ms", .double(round3(b))),
                                       ("speedup_b", .double(round3(a / b))), ("speedup_paired", .double(round3(paired))),
                                       ("speedup_min", .double(round3(fastest[0] / fastest[1]))),
                                       ("rounds", .int(rounds)), ("reps", .int(reps))]).line)
                    fflush(stdout)
                } catch {
                    FileHandle.standardError.write(Data("bench: \(c.name): \(error)\n".utf8))
                }
            }
            set(false)
        }
        Parallel.threads = threads
        BLAS.setThreads(threads)
    }

    private static func median(_ v: [Double]) -> Double {
        let s = v.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    private static func round3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
}
