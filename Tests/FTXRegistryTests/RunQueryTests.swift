import XCTest
import FTXTestSupport
import Yams
@testable import FTXRegistry

final class RunQueryTests: XCTestCase {
    func testParsesPrecedenceAndOperators() throws {
        let q = try RunQuery.parse("lora_r <= 16 and pass_rate > 0.8 or not status = 'failed'")
        XCTAssertEqual(q, .or(.and(.compare(.field("lora_r"), .le, .number(16)),
                                   .compare(.field("pass_rate"), .gt, .number(0.8))),
                              .not(.compare(.field("status"), .eq, .string("failed")))))
        XCTAssertEqual(try RunQuery.parse("(a >= 1e-3) and b != \"x y\""),
                       .and(.compare(.field("a"), .ge, .number(0.001)), .compare(.field("b"), .ne, .string("x y"))))
        XCTAssertEqual(try RunQuery.parse("metrics.loss < -1.5"), .compare(.field("metrics.loss"), .lt, .number(-1.5)))
    }

    func testErrorsNameTheColumn() {
        for (expr, col) in [("lora_r <=", 10), ("lora_r 16", 8), ("(a > 1", 7), ("a > 1 ; drop table runs", 7), ("1 < 2", 5),
                            ("a > 'x", 5)] {
            XCTAssertThrowsError(try RunQuery.parse(expr), expr) { e in
                guard case RegistryError.query(_, let c, _) = e else { return XCTFail("\(e)") }
                XCTAssertEqual(c, col, expr)
            }
        }
    }

    func testCompilesToParameterizedSQL() throws {
        // A quote ends the literal; what follows must parse as the language, never as SQL.
        XCTAssertThrowsError(try RunQuery.parse("name = 'x'' or 1=1 --' and lora_r <= 16"))
        let q2 = try RunQuery.parse("message = \"'; DROP TABLE runs; --\" and lora_r <= 16")
        let c = try q2.sql { name in
            name == "message" ? ("r.summary", []) : ("(SELECT value FROM p WHERE name = ?)", [.text(name)])
        }
        XCTAssertFalse(c.sql.contains("DROP"))
        XCTAssertEqual(c.bindings, [.text("'; DROP TABLE runs; --"), .text("lora_r"), .number(16)])
    }
}

final class RunTableTests: XCTestCase {
    func testDayAndNumberFormatting() {
        XCTAssertEqual(RunTable.day(0), "1970-01-01 00:00")
        XCTAssertEqual(RunTable.day(1_700_000_000), "2023-11-14 22:13")
        XCTAssertEqual(RunTable.day(951_827_696), "2000-02-29 12:34")
        XCTAssertEqual(formatNumber(8), "8")
        XCTAssertEqual(formatNumber(0.8734), "0.8734")
        XCTAssertEqual(formatNumber(1.0 / 3), "0.333333")
        XCTAssertEqual(formatNumber(0.0002), "0.0002")
        XCTAssertEqual(formatNumber(-2.5), "-2.5")
    }
}

final class ConfigYAMLTests: XCTestCase {
    func testEmitsReadableYAMLThatRoundTrips() throws {
        let config: [String: Any] = [
            "learning_rate": 0.0002, "lora_alpha": 16.0, "lora_r": 8, "adam_epsilon": 1e-8, "warmup_ratio": 0.05,
            "base_model": "smollm2", "train_on_inputs": false, "valid": NSNull(),
            "lora_target_modules": ["q_proj", "v_proj"],
            "eval": ["suite": "../eval/suite.yaml", "gates": ["pass_rate >= 0.85", ["regression_vs": "base", "max_drop": 0.02]] as [Any]],
            "weird": "a: b # c", "yes": "no",
        ]
        let yaml = ConfigYAML.emit(config)
        for line in ["learning_rate: 0.0002", "lora_alpha: 16.0", "lora_r: 8", "warmup_ratio: 0.05", "adam_epsilon: 1e-08",
                     "lora_target_modules: [q_proj, v_proj]", "  suite: ../eval/suite.yaml", "    - \"pass_rate >= 0.85\"",
                     "    - {max_drop: 0.02, regression_vs: base}", "train_on_inputs: false", "valid: null", "\"yes\": \"no\""] {
            XCTAssertTrue(yaml.contains(line + "\n"), "missing '\(line)' in\n\(yaml)")
        }
        let back = try XCTUnwrap(try Yams.load(yaml: yaml) as? [String: Any])
        XCTAssertEqual(back["learning_rate"] as? Double, 0.0002)
        XCTAssertEqual(back["weird"] as? String, "a: b # c")
        XCTAssertEqual(back["yes"] as? String, "no")
        XCTAssertEqual((back["eval"] as? [String: Any])?["suite"] as? String, "../eval/suite.yaml")
    }
}
