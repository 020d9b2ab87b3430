import Foundation

/// The sbatch script `sweep submit` writes: one array job whose task i runs grid point i
/// through `topiary sweep task FILE --index i --grid FINGERPRINT` (the grid as submitted:
/// `SweepSpec.gridFingerprint`).
public enum SlurmScript {
    /// `0-3,5,7-9`: sorted indices as Slurm's --array ranges.
    public static func ranges(_ indices: [Int]) -> String {
        let s = Array(Set(indices)).sorted()
        var parts: [String] = []
        var k = 0
        while k < s.count {
            var j = k
            while j + 1 < s.count && s[j + 1] == s[j] + 1 { j += 1 }
            parts.append(j == k ? String(s[k]) : "\(s[k])-\(s[j])")
            k = j + 1
        }
        return parts.joined(separator: ",")
    }

    /// A shell word in single quotes.
    public static func quote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// The script text. `executable`, `sweepFile`, `logs` and `workdir` should be absolute;
    /// `grid` is the sweep's `gridFingerprint` when submitted.
    public static func text(indices: [Int], options: SlurmOptions, jobName: String, executable: String,
                            sweepFile: String, grid: String, logs: String, workdir: String) throws -> String {
        guard !grid.isEmpty, grid.allSatisfy(\.isHexDigit) else { throw SweepError("slurm: the grid fingerprint '\(grid)' is not hexadecimal") }
        guard !indices.isEmpty else { throw SweepError("no tasks to submit") }
        for (what, v) in [("partition", options.partition), ("time", options.time), ("mem", options.mem), ("job name", jobName),
                          ("log folder", logs), ("working directory", workdir)] {
            if let v, v.isEmpty || v.contains(where: { $0.isWhitespace || $0 == "%" || $0.asciiValue.map { $0 < 0x20 } ?? false }) {
                throw SweepError("slurm \(what) '\(v)' cannot go into an #SBATCH line (empty, or holds blanks, % or control characters)")
            }
        }
        if let c = options.cpus, c < 1 { throw SweepError("slurm cpus must be at least 1, got \(c)") }
        guard options.maxRunning >= 1 else { throw SweepError("slurm max (tasks running at once) must be at least 1, got \(options.maxRunning)") }
        var lines = [
            "#!/bin/bash",
            "#SBATCH --job-name=\(jobName)",
            "#SBATCH --array=\(ranges(indices))%\(options.maxRunning)",
            "#SBATCH --output=\(logs)/%A_%a.log",
            "#SBATCH --chdir=\(workdir)",
            "#SBATCH --ntasks=1",
        ]
        if let p = options.partition { lines.append("#SBATCH --partition=\(p)") }
        if let t = options.time { lines.append("#SBATCH --time=\(t)") }
        lines.append("#SBATCH --cpus-per-task=\(options.cpus ?? 1)")
        if let m = options.mem { lines.append("#SBATCH --mem=\(m)") }
        lines += [
            "# Written by `topiary sweep submit`: array task i runs grid point i of the sweep",
            "# (parameter names sorted, the last varying fastest). Its outputs go to the point's",
            "# folder under the sweep's out; this log holds only what `sweep task` itself prints.",
            "# --grid: the grid as submitted; a task whose sweep file has a changed grid since fails.",
            "export TOPIARY_THREADS=\"${SLURM_CPUS_PER_TASK:-1}\"",
            "exec \(quote(executable)) sweep task \(quote(sweepFile)) --index \"$SLURM_ARRAY_TASK_ID\" --grid \(grid)",
        ]
        return lines.joined(separator: "\n") + "\n"
    }
}
