import Foundation
import Text
import XCTest
@testable import Jupyter

/// Connection files, kernelspecs, and the name under the cursor for inspect.
final class KernelSetupTests: XCTestCase {
    func testConnectionFile() throws {
        let text = #"{"shell_port": 1, "iopub_port": 2, "stdin_port": 3, "control_port": 4, "hb_port": 5, "ip": "127.0.0.1", "key": "k", "transport": "tcp", "signature_scheme": "hmac-sha256", "kernel_name": "topiary"}"#
        let c = try ConnectionInfo.parse(Array(text.utf8), file: "c.json")
        XCTAssertEqual(c.endpoint(c.controlPort), "tcp://127.0.0.1:4")
        XCTAssertNotNil(c.signer)
        let bad: [(String, String)] = [
            ("{", "not JSON"),
            (#"{"shell_port": 1}"#, "'iopub_port' must be a port number"),
            (text.replacingOccurrences(of: #""hb_port": 5"#, with: #""hb_port": 70000"#), "'hb_port' must be a port number"),
            (text.replacingOccurrences(of: "hmac-sha256", with: "hmac-md5"), "signature scheme 'hmac-md5' is not supported"),
            (text.replacingOccurrences(of: #""transport": "tcp""#, with: #""transport": "udp""#), "transport 'udp' is not supported"),
        ]
        for (t, message) in bad {
            XCTAssertThrowsError(try ConnectionInfo.parse(Array(t.utf8), file: "c.json")) { e in
                XCTAssertTrue("\(e)".contains(message), "\(e)")
            }
        }
    }

    func testKernelSpec() throws {
        let json = try JSON.parse(KernelSpec.json(executable: "/opt/topiary"))
        XCTAssertEqual(json["argv"], .array([.string("/opt/topiary"), .string("kernel"), .string("-f"), .string("{connection_file}")]))
        XCTAssertEqual(json["display_name"]?.string, "Topiary (Lua)")
        XCTAssertEqual(json["language"]?.string, "lua")
        XCTAssertEqual(json["metadata"]?["file_extension"]?.string, ".lua")
        XCTAssertEqual(KernelSpec.kernelsDirectory(.prefix("/venv")), "/venv/share/jupyter/kernels")
        XCTAssertEqual(KernelSpec.kernelsDirectory(.user, environment: ["JUPYTER_DATA_DIR": "/d", "HOME": "/h"]), "/d/kernels")
        #if !os(macOS)
        XCTAssertEqual(KernelSpec.kernelsDirectory(.user, environment: ["HOME": "/h"]), "/h/.local/share/jupyter/kernels")
        #endif
        let dir = NSTemporaryDirectory() + "topiary-kspec-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let installed = try KernelSpec.install(.prefix(dir), executable: "/opt/topiary")
        XCTAssertEqual(installed, dir + "/share/jupyter/kernels/topiary")
        XCTAssertEqual(try String(contentsOfFile: installed + "/kernel.json"), KernelSpec.json(executable: "/opt/topiary"))
        // Under a file, the directory cannot be made: an error, not a crash.
        _ = FileManager.default.createFile(atPath: dir + "/file", contents: Data())
        XCTAssertThrowsError(try KernelSpec.install(.prefix(dir + "/file"), executable: "/x")) { e in
            XCTAssertTrue("\(e)".hasPrefix("cannot create"), "\(e)")
        }
    }

    func testNameUnderCursor() {
        XCTAssertEqual(Kernel.name(before: "x = tensor.ze", after: "ros(3)"), "tensor.zeros")
        XCTAssertEqual(Kernel.name(before: "x = tensor.zeros(", after: "3)"), "tensor.zeros")
        XCTAssertEqual(Kernel.name(before: "y = x:su", after: "m()"), "x:sum")
        XCTAssertEqual(Kernel.name(before: "print", after: ""), "print")
        XCTAssertNil(Kernel.name(before: "x = 1 + ", after: ""))
        XCTAssertNil(Kernel.name(before: "s = \"abc", after: "\""))
        let (b, a) = Kernel.split("é = tensor.zeros", at: 6)
        XCTAssertEqual(b, "é = te")
        XCTAssertEqual(a, "nsor.zeros")
        XCTAssertEqual(Kernel.split("abc", at: 99).before, "abc")
        XCTAssertEqual(Kernel.split("abc", at: -3).before, "")
    }
}
