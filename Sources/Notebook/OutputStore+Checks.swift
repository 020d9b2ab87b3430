import Foundation

/// What `OutputStore.read` refuses in a recorded run. A record is input like any other:
/// it may be from another version, edited by hand, or planted. Its format and version
/// must be this one's, its tolerances numbers ≥ 0, and its image files plain files inside
/// the output directory.
extension OutputStore {
    static let format = "topiary-notebook-outputs"
    static let version = 1

    /// Refuses a record of another format or version, or with tolerances that are
    /// negative or not finite (a negative tolerance would make every comparison pass or
    /// fail for no reason a reader can see).
    static func check(_ record: RunRecord, _ paths: OutputPaths) throws {
        let again = "re-record it with `topiary notebook run \(paths.notebook)`"
        guard record.format == format else {
            throw NotebookError(paths.json, "not a recorded notebook run: format is \"\(record.format)\", expected \"\(format)\"; \(again)")
        }
        guard record.version == version else {
            throw NotebookError(paths.json, "recorded outputs of version \(record.version), which this topiary does not read (it reads version \(version)); \(again)")
        }
        for (name, t) in [("tolerance", record.tolerance), ("atol", record.absoluteTolerance)] where !(t.isFinite && t >= 0) {
            throw NotebookError(paths.json, "\(name) must be a number ≥ 0, got \(t); \(again)")
        }
    }

    /// The bytes of image `name` recorded for `cell`. The name must be one file name (no
    /// `/`, not `.` or `..`, no NUL) and the file a regular file inside `paths.directory`,
    /// not a symbolic link: a record must not make replay print, or export embed, a file
    /// from elsewhere.
    static func image(_ name: String?, cell: Int, _ paths: OutputPaths) throws -> Data {
        let again = "re-record with `topiary notebook run \(paths.notebook)`"
        guard let name else {
            throw NotebookError(paths.json, "the image of cell \(cell) has no file name; \(again)")
        }
        guard !name.isEmpty, name != ".", name != "..", !name.contains("/"), !name.utf8.contains(0) else {
            throw NotebookError(paths.json, "the image of cell \(cell) names \"\(name)\", which is not a file in \(paths.directory); \(again)")
        }
        let path = paths.directory + "/" + name
        var st = stat()
        guard lstat(path, &st) == 0 else {
            throw NotebookError(paths.json, "the image of cell \(cell) is missing from \(paths.directory); \(again)")
        }
        guard st.st_mode & S_IFMT == S_IFREG else {
            let what = st.st_mode & S_IFMT == S_IFLNK ? "a symbolic link" : "not a regular file"
            throw NotebookError(paths.json, "the image of cell \(cell), \(path), is \(what); refusing to read it; \(again)")
        }
        // O_NOFOLLOW: the file cannot have been swapped for a link since lstat.
        let fd = open(path, O_RDONLY | O_NOFOLLOW)
        guard fd >= 0 else {
            throw NotebookError(paths.json, "cannot read the image of cell \(cell), \(path): \(String(cString: strerror(errno)))")
        }
        return FileHandle(fileDescriptor: fd, closeOnDealloc: true).readDataToEndOfFile()
    }
}
