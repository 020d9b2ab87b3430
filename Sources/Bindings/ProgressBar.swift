import Foundation
import LuaHost
import NN

/// A one-line progress bar on the output sink's stderr: epoch, bar, step, loss, images/s, ETA.
final class ProgressBar {
    let enabled: Bool
    let output: OutputSink
    private var shown = false
    init(enabled: Bool, output: OutputSink) {
        self.enabled = enabled
        self.output = output
    }

    func update(_ s: StepReport, epochs: Int, batchSize: Int) {
        guard enabled else { return }
        let width = 24, done = s.steps > 0 ? s.step * width / s.steps : 0
        let rate = s.seconds > 0 ? Double(s.samples) / s.seconds : 0
        let eta = s.step > 0 ? s.seconds / Double(s.step) * Double(s.steps - s.step) : 0
        let bar = String(repeating: "=", count: done) + (done < width ? ">" : "") + String(repeating: " ", count: max(0, width - done - 1))
        let line = "\repoch \(s.epoch)/\(epochs) [\(bar)] \(s.step)/\(s.steps)  "
            + String(format: "loss %.4f  %.0f img/s  ETA %d:%02d ", s.loss, rate, Int(eta) / 60, Int(eta) % 60)
        output.write(line, to: .stderr)
        shown = true
    }

    func finish() {
        if shown { output.write("\r\u{1B}[K", to: .stderr); shown = false }
    }
}
