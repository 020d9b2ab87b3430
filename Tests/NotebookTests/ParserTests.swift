import XCTest
@testable import Notebook

/// The percent-format parser: markers, markdown, titles, tags, front matter, files
/// without markers, and each kind of bad input as an error naming file and line.
final class ParserTests: XCTestCase {
    func parse(_ s: String) throws -> Notebook { try NotebookParser.parse(s, path: "nb.lua") }

    func testCellsTitlesTagsAndMarkdown() throws {
        let nb = try parse("""
            -- ---
            -- title: Demo
            -- seed: 7
            -- tolerance: 1e-4
            -- atol: 1e-9
            -- timeout: 60
            -- ---

            -- %% [markdown]
            -- # Heading
            --
            -- Some *text*.

            -- %% Train the model tags=["skip", "raises"] timeout=30
            x = 1

            y = 2

            --%%
            print(x)
            -- %% [md] Notes
            --[[
            A block
            comment ]]
            -- %% Raw bits [raw]
            -- verbatim

            """)
        XCTAssertEqual(nb.frontMatter.title, "Demo")
        XCTAssertEqual(nb.frontMatter.seed, 7)
        XCTAssertEqual(nb.frontMatter.tolerance, 1e-4)
        XCTAssertEqual(nb.frontMatter.absoluteTolerance, 1e-9)
        XCTAssertEqual(nb.frontMatter.timeout, 60)
        XCTAssertEqual(nb.cells.map(\.kind), [.markdown, .code, .code, .markdown, .raw])
        XCTAssertEqual(nb.cells.map(\.index), [1, 2, 3, 4, 5])
        let md = nb.cells[0]
        XCTAssertEqual(md.text, "# Heading\n\nSome *text*.")
        XCTAssertEqual(md.markerLine, 9)
        let train = nb.cells[1]
        XCTAssertEqual(train.title, "Train the model")
        XCTAssertEqual(train.tags, [.skip, .raises])
        XCTAssertEqual(train.timeout, 30)
        XCTAssertEqual(train.lines, ["x = 1", "", "y = 2"], "trailing blank lines trimmed, inner ones kept")
        XCTAssertEqual(train.firstLine, 15)
        XCTAssertEqual(train.line, 14)
        XCTAssertEqual(nb.cells[2].title, nil)
        XCTAssertEqual(nb.cells[2].source, "print(x)")
        XCTAssertEqual(nb.cells[3].title, "Notes")
        XCTAssertEqual(nb.cells[3].text, "A block\ncomment")
        XCTAssertEqual(nb.cells[4].title, "Raw bits")
        XCTAssertEqual(nb.cells[4].text, "verbatim")
        XCTAssertEqual(train.label(file: "nb.lua"), "cell 2 \"Train the model\" (nb.lua:14)")
    }

    func testAFileWithoutMarkersIsOneCell() throws {
        let nb = try parse("#!/usr/bin/env topiary\nlocal a = 1\nprint(a)\n")
        XCTAssertEqual(nb.cells.count, 1)
        XCTAssertEqual(nb.cells[0].kind, .code)
        XCTAssertNil(nb.cells[0].markerLine)
        XCTAssertEqual(nb.cells[0].firstLine, 2)
        XCTAssertEqual(nb.cells[0].lines, ["local a = 1", "print(a)"])
        XCTAssertNil(nb.frontMatter.seed)
    }

    func testContentBeforeTheFirstMarkerIsACell() throws {
        let nb = try parse("\nx = 1\n-- %% Second\ny = 2\n")
        XCTAssertEqual(nb.cells.map(\.firstLine), [2, 4])
        XCTAssertEqual(nb.cells.map(\.title), [nil, "Second"])
        XCTAssertEqual(try parse("\n\n-- %%\nx = 1\n").cells.count, 1, "blank lines before the first marker are no cell")
    }

    func testJupytextHeaderIsAccepted() throws {
        let nb = try parse("""
            -- ---
            -- jupyter:
            --   jupytext:
            --     formats: lua:percent
            --   kernelspec:
            --     name: lua
            -- seed: 3
            -- ---
            -- %%
            x = 1
            """)
        XCTAssertEqual(nb.frontMatter.seed, 3)
        XCTAssertEqual(nb.cells.count, 1)
    }

    func testMalformedFrontMatter() {
        XCTAssertEqual(errorText { try self.parse("-- ---\n-- seed: one\n-- ---\n") },
                       "nb.lua:2: front matter: 'seed' must be an integer from 0 to 9223372036854775807, got 'one'")
        XCTAssertEqual(errorText { try self.parse("-- ---\n-- sed: 1\n-- ---\n") },
                       "nb.lua:2: front matter: unknown key 'sed' (known: title, seed, tolerance, atol, timeout, jupyter)")
        XCTAssertEqual(errorText { try self.parse("-- ---\n-- seed 1\n-- ---\n") },
                       "nb.lua:2: front matter: expected `key: value`, got 'seed 1'")
        XCTAssertEqual(errorText { try self.parse("-- ---\n-- seed: 1\n-- seed: 2\n-- ---\n") },
                       "nb.lua:3: front matter: 'seed' is set twice (first at line 2)")
        XCTAssertEqual(errorText { try self.parse("-- ---\n-- tolerance: -1\n-- ---\n") },
                       "nb.lua:2: front matter: 'tolerance' must be a non-negative number, got '-1'")
        XCTAssertEqual(errorText { try self.parse("-- ---\n-- seed: 1\nx = 1\n-- ---\n") },
                       "nb.lua:3: front matter line is not a Lua comment (the front matter opened at line 1 must close with `-- ---`)")
        XCTAssertEqual(errorText { try self.parse("-- ---\n-- seed: 1\n") },
                       "nb.lua:1: unterminated front matter: no closing `-- ---` line before the end of the file")
    }

    func testUnknownTagsTypesAndMetadata() {
        XCTAssertEqual(errorText { try self.parse("-- %% Fit tags=[\"skp\"]\nx = 1\n") },
                       "nb.lua:1: unknown tag 'skp' (known: skip, ignore-output, raises, parameters)")
        XCTAssertEqual(errorText { try self.parse("x = 1\n-- %% Train [skip, raises]\n") },
                       "nb.lua:2: unknown cell type '[skip, raises]' (expected [markdown], [md] or [raw]); tags are metadata in jupytext's percent format: tags=[\"skip\", \"raises\"]")
        XCTAssertEqual(errorText { try self.parse("-- %% tag=[\"skip\"]\n") },
                       "nb.lua:1: unknown cell metadata 'tag' (known: tags, timeout)")
        XCTAssertEqual(errorText { try self.parse("-- %% tags=skip\n") },
                       "nb.lua:1: cell metadata 'tags': skip is not a JSON value")
        XCTAssertEqual(errorText { try self.parse("-- %% tags=[\"skip\"\n") },
                       "nb.lua:1: cell metadata: unterminated value '[\"skip\"'")
        XCTAssertEqual(errorText { try self.parse("-- %% timeout=0\n") },
                       "nb.lua:1: cell metadata 'timeout' must be a positive number of seconds, got 0")
        XCTAssertEqual(errorText { try self.parse("\n-- %%Title\n") },
                       "nb.lua:2: malformed cell marker '-- %%Title' (write `-- %%` followed by a space, a title, [markdown] or metadata)")
    }

    func testUnterminatedAndInvalidMarkdown() {
        XCTAssertEqual(errorText { try self.parse("-- %% [markdown]\n--[[ text\nmore\n-- %%\nx = 1\n") },
                       "nb.lua:2: unterminated cell: the block comment opened here does not close before the next cell (line 4)")
        XCTAssertEqual(errorText { try self.parse("-- %% [markdown]\n-- ok\nx = 1\n") },
                       "nb.lua:3: markdown cell line is not a Lua comment (the plain script would run it); start it with `-- `")
    }

    func testCellMarkersAreRecognisedOnlyAtTheStartOfALine() throws {
        let nb = try parse("-- %%\nlocal s = '-- %% not a marker'\n  -- %% indented: a comment\n")
        XCTAssertEqual(nb.cells.count, 1)
        XCTAssertEqual(NotebookParser.markerText("--  %%  T  "), "  T")
        XCTAssertNil(NotebookParser.markerText("--- %%"))
    }
}
