import Foundation
import XCTest

/// Stand-ins for Slurm's sbatch and scontrol in a folder put first on PATH for one test.
/// sbatch waits `delay` seconds, appends the script's path to `calls`, and prints its own pid
/// as the job id; scontrol says every task of a job it printed is PENDING.
struct FakeSlurm {
    let bin: String
    var calls: [String] {
        ((try? String(contentsOfFile: bin + "/calls", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// With `scontrol: false` only sbatch is there, and PATH holds nothing else.
    init(_ test: XCTestCase, delay: Double = 0, scontrol: Bool = true) throws {
        bin = try temporaryFolder(test) + "/bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try script("sbatch", """
            #!/bin/sh
            PATH=/usr/bin:/bin
            d=$(dirname "$0")
            sleep \(delay)
            echo "$2" >> "$d/calls"
            grep -o -- '--array=[^%]*' "$2" | cut -d= -f2 > "$d/job-$$"
            echo "$$"

            """)
        if scontrol {
            try script("scontrol", """
                #!/bin/sh
                PATH=/usr/bin:/bin
                d=$(dirname "$0")
                [ -f "$d/job-$4" ] || { echo "slurm_load_jobs error: Invalid job id specified" >&2; exit 1; }
                echo "JobId=$4 ArrayJobId=$4 ArrayTaskId=$(cat "$d/job-$4") JobState=PENDING ExitCode=0:0"

                """)
        }
        let old = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        setenv("PATH", scontrol ? bin + ":" + old : bin, 1)
        test.addTeardownBlock { setenv("PATH", old, 1) }
    }

    func script(_ name: String, _ text: String) throws {
        try write(bin + "/" + name, text)
        chmod(bin + "/" + name, 0o755)
    }
}
