import Foundation
import Tensor

/// When a forward (and ∂L/∂x) takes the Winograd path, and on whose products: the
/// thresholds measured against the direct, im2col and taps paths.
extension Conv2dKernel {
    /// Fewest input and output channels for the Winograd path; 1 or less (tests) sends
    /// every shape the kernel computes to it.
    nonisolated(unsafe) public static var winogradMinChannels = 8

    /// Smallest output height and width for the Winograd path (see `usesWinograd`;
    /// `topiary bench --ab winograd-4x4` sets 8 for A).
    nonisolated(unsafe) public static var winogradMinPlane = 4

    /// Whether Winograd takes a forward (and dx) the direct kernel could run: for output
    /// planes up to 16×16, and on 32×32 where its products run on `WinogradProducts`
    /// (`ownWinogradProducts`; with OpenBLAS's products direct won there, 16c32 16.8 / 36 ms
    /// on Zen 1). Its ∂L/∂w has its own choice (`usesWinogradWeightGradient`).
    /// Batch 128, direct / Winograd:
    /// - "AMD EPYC" Zen 1 (family 23 model 1, 256-bit FMAs split in two), one thread,
    ///   forward: 32c16 16.3 / 9.4 ms, 32→23 c16 12.7 / 7.7, 16→32 c16 15.5 / 7.3, 32→16 c16
    ///   10.9 / 7.8, 32c8 4.8 / 3.1, 16c16 6.2–8.0 / 5.2–6.1, 8→16 c16 4.7 / 4.0; dx 32c16
    ///   17.4 / 9.4; 32×32 planes, forward / forward + backward: 16c32 17.4 / 11.4,
    ///   34 / 28.7 ms; 16→11 13.1 / 8.7; 11→16 12.0 / 8.7; 32c32 68 / 30, 133 / 96; 16→8
    ///   9.1 / 7.8; 8→16 and 8c32 even (8.8 / 8.5, 4.8 / 4.9).
    /// - "AMD EPYC" Zen 3 (family 25 model 1, full-width FMAs), `topiary bench conv --ab
    ///   winograd-first`, 4 alternating rounds, 1 | 2 threads: forward 16c32 7.9 / 5.5 |
    ///   4.3 / 3.0, 32c16 8.0 / 3.7 | 5.2 / 3.2, 16→11 c32 6.7 / 4.6 | 3.9 / 2.6, 32→23 c16
    ///   7.6 / 4.0 | 5.6 / 2.5; dx 16c32 9.7 / 7.4 | 5.1 / 4.0, 32c16 9.8 / 4.9 | 5.1 / 3.1;
    ///   the other pruned shapes even to 1.4× (`bench train --ab winograd-first`:
    ///   infer/resnet56 1.34× | 1.40×, train step 1.17× | 1.23×). Until 2026-12-02 only CPUs
    ///   that split FMAs took Winograd here (measured on Zen 3 with OpenBLAS's products,
    ///   before `WinogradProducts`); CPUs with 512-bit FMAs are not measured.
    public static func prefersWinograd(_ g: ConvGeometry) -> Bool {
        winogradOverDirect && usesWinograd(g) && (g.outPlane <= 256 || ownWinogradProducts(g))
    }

    /// Channels up to which a Winograd chunk's 36 products run on `WinogradProducts`
    /// instead of OpenBLAS; `TOPIARY_WINOGRAD_OWN_MAX` sets it, 0 turns it off (tests run
    /// both). "AMD EPYC" Zen 1, batch 128, one thread, 2–3 alternating rounds, forward with
    /// OpenBLAS / own products: 32c16 13.3 / 8.4 ms, 16→32 c16 7.0 / 5.4, 32→16 c16 9.2 /
    /// 6.4, 32→23 c16 12.6 / 8.5, 32c8 3.2 / 2.7, 64→45 c8 5.5 / 5.0, 32→64 c8 4.5 / 3.8,
    /// 64c8 7.2 / 7.1, VGG 64c32 110 / 96; 128c16 even. Zen 4 (OpenBLAS's AVX-512
    /// "Cooperlake" kernels), `topiary bench conv --ab own-128` (limit 128 against 64), 4
    /// alternating rounds, 1 | 2 threads: VGG 128c16 forward 1.07× | 1.11×, dx 1.11× |
    /// 1.02×; so up to 128 channels.
    nonisolated(unsafe) public static var winogradOwnMaxChannels = configuredOwnMaxChannels

    /// `winogradOwnMaxChannels`' value at start: `TOPIARY_WINOGRAD_OWN_MAX`, else 128.
    public static let configuredOwnMaxChannels =
        Int(ProcessInfo.processInfo.environment["TOPIARY_WINOGRAD_OWN_MAX"] ?? "") ?? 128

    /// Whether the chunk products of `forwardWinograd` run on `WinogradProducts`.
    static func ownWinogradProducts(_ g: ConvGeometry) -> Bool {
        max(g.inChannels, g.outChannels) <= winogradOwnMaxChannels
    }

    /// `prefersWinograd`'s switch: on unless `TOPIARY_WINOGRAD_FIRST=0` (the direct
    /// kernel then keeps the small-channel forwards and dx, to compare).
    nonisolated(unsafe) public static var winogradOverDirect =
        ProcessInfo.processInfo.environment["TOPIARY_WINOGRAD_FIRST"] != "0"

    /// The one place that chooses Winograd over im2col / taps for a forward pass (and for
    /// dx, which runs as a forward pass of the transposed convolution).
    ///
    /// A/B against the im2col / taps paths, alternating in one process, one thread, on a
    /// loaded 2-core AMD EPYC (AVX2; noisy, relative only: im2col time / Winograd time,
    /// forward and dx, batch 128):
    /// - 3 input channels (first layers 3→16, 3→64 at 32×32): 0.2–0.5×, so ≥ 8 channels;
    /// - 32×32 planes with 8–16 channels (16c32, 16→8, 8→16, 8→8): 0.7–1.3×, about even,
    ///   so 32×32 planes take Winograd from 32 channels (64c32: 1.2–1.9×), or where
    ///   `WinogradProducts` runs the products (see `prefersWinograd` for its figures);
    /// - 16×16 and 8×8 planes: 32c16 1.2–2.7×, 64c8 1.0–1.5×, 32→23 c16 1.4–3×,
    ///   64→45 c8 1.2–1.8×, 128c16 1.6–2.1×, 256c8 1.2–1.6×;
    /// - 2×2 planes (VGG 512c2 0.2×: 36 products an image against 16 taps inside it): never;
    ///   4×4 planes (one tile an image, 36 products against the ~100 the taps inside the
    ///   image take): measured 0.6–1.0× in the first days, against the per-tap GEMMs
    ///   (`usesTaps`) on Zen 4 in 2026-12 (`topiary bench conv --ab winograd-4x4`, 4
    ///   alternating rounds, 1 | 2 threads) forward 512c4 2.38× | 2.08×, dx 1.29× | 1.07×
    ///   (its weights transformed at every call), so from 4×4 up (`winogradMinPlane`);
    /// - batch 1 (16 tiles of 16×16, 4 of 8×8 per GEMM): 0.1–0.45×; 64 tiles (64c32): 1.0×,
    ///   so a GEMM needs ≥ 64 tiles.
    /// Chunks of 128 tiles beat 64, 256 and 512.
    public static func usesWinograd(_ g: ConvGeometry) -> Bool {
        guard winogradEnabled, winogradApplies(g) else { return false }
        let channels = min(g.inChannels, g.outChannels), tl = WinogradTiling(g)
        let parts = ParallelBatch.parts(g.batch), perPart = (g.batch + parts - 1) / parts
        let tiles = min(perPart * tl.perImage, winogradTiles)
        if winogradMinChannels <= 1 { return true }   // tests: every shape it computes
        return channels >= winogradMinChannels && g.outHeight >= winogradMinPlane && g.outWidth >= winogradMinPlane
            && tiles >= 64
            && (g.outPlane <= 512 || channels >= 32 || ownWinogradProducts(g))
    }
}
