import CPrefetch
import Foundation

extension Conv2dKernel {
    /// `TOPIARY_PREFETCH=0` turns the kernels' software prefetches off (`topiary bench
    /// conv --ab prefetch` measures them).
    nonisolated(unsafe) public static var prefetchEnabled =
        ProcessInfo.processInfo.environment["TOPIARY_PREFETCH"] != "0"
}

/// Fetches memory into the cache ahead of its use, a few 64-byte lines per step of a loop
/// that runs meanwhile. The direct convolution prefetches the next image's input and the
/// output rows of the block it is computing, spread over its register tiles; Winograd's
/// input transform the next channel's planes. The plane copies that follow then find
/// their lines in cache instead of stalling on memory (they were ~15 % of the direct
/// forward at ResNet-56's 16c32; `topiary bench conv --ab prefetch`, one thread: 1.05–1.19×).
///
/// The memory is `runs` runs of `bytes` each, `runStride` bytes apart (one run: a
/// contiguous buffer; several: the same channel's plane in consecutive images).
struct PrefetchStream {
    /// Addresses, not pointers: `none` has no memory to point at.
    private var p: UInt, runEnd: UInt
    private var runsLeft: Int
    private let bytes: Int, runStride: Int, perStep: Int, write: Bool
    static let line = 64

    /// `steps` calls of `step()` cover it all (at least one line a call); `write` when the
    /// lines will be written (fetched owned).
    init(_ base: UnsafeRawPointer, bytes: Int, runs: Int = 1, runStride: Int = 0, steps: Int, write: Bool = false) {
        let on = Conv2dKernel.prefetchEnabled && bytes > 0 && runs > 0
        self.bytes = on ? bytes : 0
        self.runStride = runStride
        p = UInt(bitPattern: base)
        runEnd = p + UInt(self.bytes)
        runsLeft = on ? runs - 1 : 0
        let lines = on ? runs * ((bytes + Self.line - 1) / Self.line) : 0
        perStep = max(1, (lines + max(steps, 1) - 1) / max(steps, 1))
        self.write = write
    }

    /// Nothing to fetch.
    static var none: PrefetchStream { PrefetchStream() }

    /// Channel `c`'s planes of images n0 ..< n0 + m in an [N, `channels`, `plane`] buffer
    /// (one run per image) over `steps` steps: what a per-channel pass (Winograd's input and
    /// output transforms) reads or writes next, fetched while it works on channel c − 1.
    /// `none` for no buffer or a channel past the last.
    static func channelPlanes(_ base: UnsafePointer<Float>?, channel c: Int, of channels: Int, plane: Int, n0: Int,
                              m: Int, steps: Int, write: Bool = false) -> PrefetchStream {
        guard let base, c < channels else { return .none }
        return PrefetchStream(base + (n0 * channels + c) * plane, bytes: plane * 4, runs: m,
                              runStride: channels * plane * 4, steps: steps, write: write)
    }

    private init() {
        p = 0; runEnd = 0; runsLeft = 0
        bytes = 0; runStride = 0; perStep = 1; write = false
    }

    /// Issues the next `perStep` lines' prefetches (none past the end).
    @inline(__always)
    mutating func step() {
        for _ in 0..<perStep {
            guard let q = next() else { return }
            guard let at = UnsafeRawPointer(bitPattern: q) else { return }
            if write { topiary_prefetch_write(at) } else { topiary_prefetch_read(at) }
        }
    }

    /// The address of the next line to fetch, nil at the end.
    @inline(__always)
    mutating func next() -> UInt? {
        if p >= runEnd {
            guard runsLeft > 0 else { return nil }
            runsLeft -= 1
            p = runEnd &- UInt(bytes) &+ UInt(bitPattern: runStride)   // a stride may be negative
            runEnd = p &+ UInt(bytes)
        }
        defer { p += UInt(Self.line) }
        return p
    }

    /// Lines issued per `step()`.
    var linesPerStep: Int { perStep }
}
