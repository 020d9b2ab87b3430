import Foundation
import Tensor

/// Which half of a dataset.
public enum Split: String, CaseIterable, Sendable {
    case train, test
}

/// Finding dataset files: the directories searched, in order, and the error that says
/// where we looked and how to get the data.
struct DatasetLocator {
    let op: String
    let dirs: [FilePath]
    let howToGet: String

    /// `root` (and its usual subfolders) if given; else `$TOPIARY_DATASETS/<name>`,
    /// `Datasets/<name>` under the current directory, then `system` (a packaged copy).
    init(op: String, root: FilePath?, name: String, subdirs: [String], system: String? = nil, howToGet: String) {
        self.op = op
        self.howToGet = howToGet
        var bases: [FilePath] = []
        if let root {
            bases = [root]
        } else {
            if let env = ProcessInfo.processInfo.environment["TOPIARY_DATASETS"], !env.isEmpty {
                bases.append(FilePath(env) + name)
            }
            bases.append(FilePath("Datasets") + name)
            if let system { bases.append(FilePath(system)) }
        }
        var dirs: [FilePath] = []
        for b in bases {
            var bytes = b.bytes
            while bytes.count > 1, bytes.last == UInt8(ascii: "/") { bytes.removeLast() }
            let b = FilePath(bytes: bytes) ?? b
            dirs.append(b)
            for s in subdirs { dirs.append(b + s) }
        }
        self.dirs = dirs
    }

    /// The first existing file among `names` in the first directory holding one of them.
    func find(_ names: [String], what: String) throws -> FilePath {
        for d in dirs {
            for n in names where (d + n).exists { return d + n }
        }
        throw TensorError("\(op): cannot find \(what) (\(names.joined(separator: " or "))); looked in \(dirs.map(\.description).joined(separator: ", ")). \(howToGet)")
    }

    /// The directory where `name` was found, for finding sibling files (class names).
    func sibling(of path: FilePath, _ name: String) -> FilePath? {
        let p = path.parent + name
        return p.exists ? p : nil
    }
}

/// Checks that every class id in `labels` (int64) is in 0..<classes.
func checkLabels(_ labels: Tensor, classes: Int, _ context: String) throws {
    for i in 0..<labels.numel {
        let v = labels.iptr[i]
        guard v >= 0 && v < classes else {
            throw TensorError("\(context): label \(v) of sample \(i + 1) is outside 0..\(classes - 1) (corrupt file?)")
        }
    }
}
