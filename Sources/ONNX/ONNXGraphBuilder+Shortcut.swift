import NN
import Tensor

extension ONNXGraphBuilder {
    /// Option-A shortcut: `x[:, :, ::s, ::s]` as a strided Slice, then the zero channels
    /// as a Pad. After pruning (a channel map) one zero channel is padded at the end and
    /// a Gather on the channel axis places each kept input channel at its output
    /// position, the zero channel everywhere else.
    mutating func emitShortcutA(_ s: ShortcutA, _ n: TraceNode, _ x: String, _ out: String) throws {
        let inShape = n.inputShapes[0]
        guard inShape.count == 4 else { throw unmapped(n, "has a rank-\(inShape.count) input") }
        let c = inShape[1]
        var cur = x
        let steps = stepsOfShortcut(s, channels: c)
        for (k, step) in steps.enumerated() {
            let dst = k == steps.count - 1 ? out : unique(n.name + "." + step.label)
            switch step {
            case .slice(let stride):
                let big = Int(Int64.max)
                let ins = [cur, initializer(n.name + ".starts", [2], ints: [0, 0]),
                           initializer(n.name + ".ends", [2], ints: [big, big]),
                           initializer(n.name + ".axes", [2], ints: [2, 3]),
                           initializer(n.name + ".steps", [2], ints: [stride, stride])]
                node("Slice", ins, dst, name: n.name + ".slice")
            case .pad(let before, let after):
                let pads = initializer(n.name + ".pads", [8], ints: [0, before, 0, 0, 0, after, 0, 0])
                node("Pad", [cur, pads], dst, name: n.name + ".pad")
            case .gather(let indices):
                let idx = initializer(n.name + ".channels", [indices.count], ints: indices)
                node("Gather", [cur, idx], dst, name: n.name + ".gather", [attr("axis", 1)])
            case .identity:
                node("Identity", [cur], dst, name: n.name)
            }
            cur = dst
        }
    }

    /// One ONNX step of a shortcut.
    enum ShortcutStep {
        case slice(Int), pad(Int, Int), gather([Int]), identity
        var label: String {
            switch self {
            case .slice: return "sliced"
            case .pad: return "padded"
            case .gather: return "gathered"
            case .identity: return "identity"
            }
        }
    }

    /// The steps of `s` on an input of `channels` channels (an Identity when nothing
    /// changes).
    func stepsOfShortcut(_ s: ShortcutA, channels c: Int) -> [ShortcutStep] {
        var steps: [ShortcutStep] = s.stride > 1 ? [.slice(s.stride)] : []
        if let map = s.channelMap {
            var src = [Int](repeating: c, count: s.mappedChannels)   // c: the padded zero channel
            for (i, o) in map.enumerated() where o >= 0 { src[o] = i }
            if src != Array(0..<c) {
                steps += [.pad(0, 1), .gather(src)]
            }
        } else if s.padBefore > 0 || s.padAfter > 0 {
            steps.append(.pad(s.padBefore, s.padAfter))
        }
        return steps.isEmpty ? [.identity] : steps
    }
}
