import Tensor

/// Per-batch tensors [B, …] stacked along dim 0 as they come, into one tensor sized on the
/// first batch for the number of batches expected: each batch can be released right after
/// (its buffer goes back to the allocator for the next forward), nothing is copied a second
/// time at the end, and the peak memory of a capture is the result plus one batch instead of
/// twice the result (ResNet-56's 27 groups over 640 images: 0.66 GB instead of 1.3 GB).
/// A batch that does not fit (another trailing shape, a later batch larger than the first,
/// more batches than expected) ends the stacking: what was stacked and the rest are then
/// concatenated by `result`. When one batch is expected, that batch itself is the result.
public struct StackedBatches {
    private var buffer: Tensor?
    private var rows = 0
    private var rest: [Tensor] = []
    private let expected: Int

    /// Batches appended without a copy since the process started (tests check it happens).
    nonisolated(unsafe) static var inPlace = 0

    /// `expected`: the batches the source will give at most.
    public init(expected: Int) { self.expected = max(1, expected) }

    /// Where a batch of `shape` would be appended next: a row block of the buffer (made
    /// here for the first batch when `making`, else by the first `append`). A producer
    /// that writes there makes `append` copy nothing. nil when the batch would not go there.
    public mutating func slot(_ shape: [Int], making: Bool = false) -> Tensor? {
        guard rest.isEmpty, shape.count >= 1, shape[0] > 0 else { return nil }
        if buffer == nil, making, rows == 0 {
            buffer = try? Tensor(uninitialized: [shape[0] * expected] + shape.dropFirst())
        }
        guard let b = buffer, shape.count == b.dim, b.shape.dropFirst() == shape.dropFirst(),
              rows + shape[0] <= b.shape[0] else { return nil }
        return try? b.narrow(0, rows, shape[0])
    }

    public mutating func append(_ t: Tensor) throws {
        if let b = buffer, rest.isEmpty, t.storage === b.storage, t.dtype == .float32, t.isContiguous,
           t.dim == b.dim, t.shape.dropFirst() == b.shape.dropFirst(), rows + t.shape[0] <= b.shape[0],
           t.offset == b.offset + rows * (b.numel / b.shape[0]) {
            rows += t.shape[0]   // written in place (`slot`)
            Self.inPlace += 1
            return
        }
        if expected == 1, buffer == nil, rest.isEmpty {   // a lone batch is the result as it is
            rest.append(try t.contiguous())
            return
        }
        if rest.isEmpty, t.dtype == .float32, t.dim >= 1, t.shape[0] > 0 {
            if buffer == nil {
                buffer = try Tensor(uninitialized: [t.shape[0] * expected] + t.shape.dropFirst())
            }
            if let b = buffer, b.shape.dropFirst() == t.shape.dropFirst(), rows + t.shape[0] <= b.shape[0] {
                let at = rows * (b.numel / b.shape[0])
                // Split over the cores: the first touch of the buffer's pages (the kernel zeroes
                // each) costs as much as the copy.
                try t.withContiguousFloats { src in
                    let dst = b.ptr + at
                    Parallel.ranges(t.numel, grain: 1 << 18) { lo, hi in (dst + lo).update(from: src + lo, count: hi - lo) }
                }
                rows += t.shape[0]
                return
            }
        }
        if let b = buffer {
            if rows > 0 { rest.append(try b.narrow(0, 0, rows)) }
            buffer = nil
        }
        rest.append(try t.contiguous())
    }

    /// The batches stacked: the buffer itself when every expected batch came, else its
    /// filled rows (a view) or the concatenation. nil when nothing was appended.
    public func result() throws -> Tensor? {
        if let b = buffer { return rows == b.shape[0] ? b : try b.narrow(0, 0, rows) }
        if rest.isEmpty { return nil }
        return rest.count == 1 ? rest[0] : try Tensor.cat(rest, 0)
    }
}
