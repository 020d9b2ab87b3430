import NN
import Tensor

/// Where a group's feature maps are read: a traced node and the positions of the
/// group's channels (in group order) along that node's channel dim.
public struct GroupPoint {
    public let group: Int
    /// The path reported by forward hooks for that node (a layer's path, or the
    /// container of an add).
    public let path: String
    public let positions: [Int]
    /// Whether the maps there are an activation's output (or a pooling's right after one).
    public var afterActivation = false
    /// That activation, when there is one.
    public var activation: Activation?
}

extension DependencyGraph {
    /// The hook point of group `g`: after its defining layer (`conv`), its BatchNorm
    /// (`bn`), or the activation that follows (`act`, through a residual add if one comes
    /// first), or the pooling right after that activation (`pool`; the activation when none
    /// follows). Stops early at a fork, a concatenation or (but for `pool`) pooling. Where that
    /// step does not carry all the group's channels, the first later step that does (`covering`).
    public func point(of g: Int, _ point: HookPoint = .act) -> GroupPoint? {
        let group = groups[g]
        guard let def = group.definingSlot,
              var node = trace.nodes.first(where: { $0.kind == .layer && $0.module === def.module }) else { return nil }
        var activated: Activation?
        if point != .conv {
            while true {
                let next = trace.consumers(of: node.id)
                guard next.count == 1 else { break }
                let n = trace.nodes[next[0]]
                if n.kind == .add { node = n; continue }
                guard n.kind == .layer, let m = n.module else { break }
                if m is BatchNorm { node = n; if point == .bn { break } else { continue } }
                if point == .act || point == .pool, let a = m as? Activation { node = n; activated = a }
                break
            }
        }
        if point == .pool {
            let next = trace.consumers(of: node.id)
            if next.count == 1, trace.nodes[next[0]].kind == .layer,
               let m = trace.nodes[next[0]].module, m is MaxPool2d || m is AvgPool2d {
                node = trace.nodes[next[0]]
            }
        }
        if let positions = positions(of: group, at: node) {
            var p = GroupPoint(group: g, path: node.name, positions: positions)
            p.afterActivation = activated != nil
            p.activation = activated
            return p
        }
        return covering(group, g, after: node.id, preferActivation: point == .act || point == .pool)
    }

    /// The positions of `group`'s channels in `node`'s channel dim (in group order), or nil
    /// when the node does not carry them all.
    func positions(of group: PruningGroup, at node: TraceNode) -> [Int]? {
        var at: [Int: Int] = [:]
        for (i, c) in nodeClasses[node.id].enumerated() where at[c] == nil { at[c] = i }
        let positions = group.classes.compactMap { at[$0] }
        return positions.count == group.channels ? positions : nil
    }

    /// A group whose channels no single step after its defining layer carries (a Concat
    /// branch's channels that a later residual add ties to the other branches'): the first
    /// node after `start` that carries them all — an activation's output first when
    /// `preferActivation` — else nil.
    func covering(_ group: PruningGroup, _ g: Int, after start: Int, preferActivation: Bool) -> GroupPoint? {
        let later = trace.nodes.filter { $0.id > start && $0.kind != .input && $0.outputShape.count >= 2 }
        let candidates = (preferActivation ? later.filter { $0.module is Activation } : []) + later
        for n in candidates {
            guard let positions = positions(of: group, at: n) else { continue }
            var p = GroupPoint(group: g, path: n.name, positions: positions)
            if let a = n.module as? Activation { p.afterActivation = true; p.activation = a }
            return p
        }
        return nil
    }
}

/// Runs a model over calibration batches and hands each group's feature maps (and, on
/// request, the loss gradients at the same point) to a per-batch reducer.
public enum Calibration {
    /// Whether a gradient calibration stops its backward once the earliest point has its
    /// gradient (`Tracer.stopBackward`); off, it runs to the input (`topiary bench --ab
    /// stop-backward`). The same results either way.
    nonisolated(unsafe) public static var stopsBackward = true

    /// Whether maps kept whole are written by their fused run straight into the stack
    /// (`StackedBatches.slot`: from the first batch without a reducer, from the second when
    /// the reducer returned nil for the first) instead of copied there (`topiary bench --ab
    /// place-maps`). The same maps either way.
    nonisolated(unsafe) public static var placesMaps = true

    /// For every point, calls `reduce(point, maps, grads)` once per batch with that batch's
    /// maps [B, C, …] in group order; returns each point's reduced tensors concatenated
    /// along dim 0 (or the maps themselves when the reducer returns nil). Without a reducer
    /// every point's maps are kept whole (a capture): fused runs write them into their
    /// stack from the first batch on.
    ///
    /// Without a reducer, or with one that maps each image to rows of its own (`eachImage`:
    /// the concatenation is then the same whatever the split), a large batch runs through
    /// the model in parts (`partRanges`), and the reducer is called once per part.
    ///
    /// Gradients come from cross-entropy on the batch targets (or the loss of a
    /// `LossSource`), as the mean over the whole batch when it runs in parts (train mode off: BN uses running statistics, so scores do
    /// not depend on batch composition).
    public static func collect(_ model: any Module, points: [GroupPoint], source: BatchSource, batches: Int,
                               gradients: Bool, eachImage: Bool = false,
                               reduce: ((GroupPoint, Tensor, Tensor?) throws -> Tensor?)?) throws -> [Int: Tensor] {
        try collectWithGradients(model, points: points, source: source, batches: batches, gradients: gradients,
                                 eachImage: eachImage, reduce: reduce).maps
    }

    /// `collect`, and with `gradients` the loss gradients of every point whose maps are kept
    /// whole (no reducer, or it returned nil), stacked the same way: [N, C, …] beside the
    /// maps, by group (a Lua criterion with needs = "grads" and no `reduce` reads both).
    public static func collectWithGradients(_ model: any Module, points: [GroupPoint], source: BatchSource, batches: Int,
                                            gradients: Bool, eachImage: Bool = false,
                                            reduce: ((GroupPoint, Tensor, Tensor?) throws -> Tensor?)?)
        throws -> (maps: [Int: Tensor], grads: [Int: Tensor]) {
        guard batches > 0 else { throw TensorError("calibration: batches must be positive, got \(batches)") }
        var byPath: [String: [GroupPoint]] = [:]
        for p in points { byPath[p.path, default: []].append(p) }
        let lossSource = gradients ? source as? LossSource : nil
        // Reduced tensors are kept per batch and concatenated at the end; maps kept whole are
        // stacked as they come, so each batch's maps are released before the next forward.
        var parts: [Int: [Tensor]] = [:], stacked: [Int: StackedBatches] = [:], stackedGrads: [Int: StackedBatches] = [:]
        // the parts stacked: the batches expected, times the parts of the first one
        var expected = min(batches, max(source.batchCount, 1))
        let restore = model.enterEvalMode()
        defer { restore() }
        let next = try source.batches(epoch: 0)
        var done = 0
        /// Runs one batch, or one part of a batch of `batch` images, and hands its maps on.
        func run(_ x: Tensor, _ y: Tensor, batch: Int) throws {
            var maps: [String: Tensor] = [:], reduced = Set<String>()
            let onForward: (String, any Module, Tensor, Tensor) -> Void = { path, _, _, out in
                if byPath[path] != nil, maps[path] == nil { maps[path] = out }
            }
            /// Hands a point's maps (and gradients) to the reducer, once per batch.
            func consume(_ path: String, _ grads: Tensor?) throws {
                guard let ps = byPath[path], !reduced.contains(path) else { return }
                guard let m = maps[path] else { throw TensorError("calibration: no output was seen at \(path)") }
                reduced.insert(path)
                for p in ps {
                    let pm = try Self.channels(m, p.positions), pg = try grads.map { try Self.channels($0, p.positions) }
                    if let r = try reduce?(p, pm, pg) {
                        parts[p.group, default: []].append(r)
                    } else {
                        try stacked[p.group, default: StackedBatches(expected: expected)].append(pm)
                        // a copy: the backward owns the tensor it reported and may reuse it
                        if let pg { try stackedGrads[p.group, default: StackedBatches(expected: expected)].append(try pg.clone()) }
                    }
                }
            }
            if gradients {
                // Only the gradients at the points are wanted: parameters get none (as
                // torch.autograd.grad w.r.t. the maps), which halves the convolutions' backward.
                let params = model.namedParameters().map(\.parameter).filter(\.requiresGrad)
                for p in params { p.requiresGrad = false }
                defer { for p in params { p.requiresGrad = true } }
                // each point is reduced as its gradient arrives, while that is still in cache;
                // once the earliest point has its gradient the backward stops (nothing below it
                // is wanted: scores at deep layers cost only the deep part of the backward)
                var failure: (any Error)?
                try withoutActuallyEscaping(consume) { consume in
                    do {
                        try Tracer.observeGradients(forward: onForward, backward: { path, _, g in
                            guard failure == nil else { return }
                            do { try consume(path, g) } catch { failure = error }
                            if stopsBackward, failure != nil || reduced.count == byPath.count { Tracer.stopBackward() }
                        }, fusingExcept: Set(byPath.keys)) {
                            let logits = try model.forward(x)
                            let dlogits = try lossSource?.logitGradient(logits, y, x)
                                ?? CrossEntropy.compute(logits: logits, targets: y, meanOver: batch).grad
                            _ = try model.backward(dlogits)
                        }
                    } catch is Tracer.BackwardStopped {}
                }
                model.zeroGrad()
                if let failure { throw failure }
                if let missing = byPath.keys.sorted().first(where: { !reduced.contains($0) }) {
                    throw TensorError(maps[missing] == nil ? "calibration: no output was seen at \(missing)"
                                                           : "calibration: no gradient reached \(missing)")
                }
            } else {
                // a point whose maps are kept whole (no reducer, or it returned nil for an
                // earlier batch) has its fused run write them straight into their stack
                let place: (String, [Int]) -> Tensor? = { path, shape in
                    guard Self.placesMaps, maps[path] == nil, let ps = byPath[path], ps.count == 1,
                          Self.takesAllChannels(ps[0].positions, of: shape)
                    else { return nil }
                    let g = ps[0].group
                    if reduce == nil, stacked[g] == nil { stacked[g] = StackedBatches(expected: expected) }
                    return stacked[g]?.slot(shape, making: reduce == nil)
                }
                try GradMode.withoutGrad {
                    try Tracer.observe(onForward, fusingExcept: Set(byPath.keys), placing: place) { _ = try model.forward(x) }
                }
                for path in byPath.keys.sorted() { try consume(path, nil) }
            }
        }
        // a loss of the caller's (`LossSource`) sees whole batches
        let splits = runsInParts && (reduce == nil || eachImage) && lossSource == nil
        var floor: Int?
        while done < batches, let (x, y) = try next() {
            done += 1
            let n = x.shape.first ?? 0, perImage = n > 0 ? x.numel / n : 0
            var ranges = splits ? partRanges(images: n, perImage: perImage, threads: Parallel.threads) : [0..<n]
            if ranges.count > 1 {
                if floor == nil {   // how small a part may be, from the model's layers (traced once; a model that cannot be traced runs whole)
                    floor = (try? GradMode.withoutGrad { try model.count(inputShape: [1] + x.shape.dropFirst()).layers }).map(imagesFloor) ?? Int.max
                }
                ranges = partRanges(images: n, perImage: perImage, threads: Parallel.threads, floor: floor ?? 1)
            }
            if done == 1 { expected *= max(ranges.count, 1) }
            if ranges.count <= 1 { try run(x, y, batch: n); continue }
            if gradients, y.shape.first != n {
                throw TensorError("calibration: a batch of \(n) inputs came with \(y.shape.first ?? 0) targets")
            }
            for r in ranges {
                partsRun += 1
                try run(try x.narrow(0, r.lowerBound, r.count), gradients ? try y.narrow(0, r.lowerBound, r.count) : y, batch: n)
            }
        }
        guard done > 0 else { throw TensorError("calibration: the data source gave no batches") }
        var out = try parts.mapValues { try $0.count == 1 ? $0[0] : Tensor.cat($0, 0) }
        for (g, s) in stacked {
            guard out[g] == nil else { throw TensorError("calibration: the reducer kept some batches of a point whole and reduced others") }
            out[g] = try s.result()
        }
        return (out, try stackedGrads.compactMapValues { try $0.result() })
    }

    /// Whether `positions` are all the channels (dim 1) of a tensor of `shape`, in order.
    static func takesAllChannels(_ positions: [Int], of shape: [Int]) -> Bool {
        shape.count >= 2 && positions.count == shape[1] && positions.indices.allSatisfy { positions[$0] == $0 }
    }

    /// `t`'s channels (dim 1) at `positions`: `t` itself when they are all of its
    /// channels in order (no copy), else a gathered copy.
    static func channels(_ t: Tensor, _ positions: [Int]) throws -> Tensor {
        if takesAllChannels(positions, of: t.shape) { return t }
        return try t.indexSelect(1, try Tensor.int64(shape: [positions.count], values: positions.map(Int64.init)))
    }
}
