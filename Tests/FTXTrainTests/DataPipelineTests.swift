import XCTest
import FTXData
import FTXModel
import FTXTestSupport
@testable import FTXTrain

final class DataPipelineTests: XCTestCase {
    let tok = Tokenizer.tinyByteLevel()
    var template: ChatTemplate { ChatTemplate(source: ChatTemplate.chatML) }

    func encoder(trainOnInputs: Bool = false, max: Int = 512, policy: LongSequencePolicy = .error, chat: Bool = true) -> ExampleEncoder {
        ExampleEncoder(tokenizer: tok, chatTemplate: chat ? template : nil, trainOnInputs: trainOnInputs, maxSeqLength: max, longSequences: policy)
    }

    func testChatMasksEverythingButTheLastAssistantTurn() throws {
        let e = Example.chat([ChatMessage(role: "user", content: "hi"), ChatMessage(role: "assistant", content: "one"),
                              ChatMessage(role: "user", content: "again"), ChatMessage(role: "assistant", content: "two")])
        let x = try XCTUnwrap(try encoder().encode(e))
        let trainedText = tok.decode(zip(x.tokens, x.trained).filter { $0.1 }.map { Int($0.0) })
        XCTAssertTrue(trainedText.hasPrefix("two"), trainedText)
        XCTAssertFalse(trainedText.contains("one"))
        let full = (try? template.render(messages: e.messages.map { ($0.role, $0.content) }, addGenerationPrompt: false))
            ?? ExampleEncoder.chatML(e.messages.map { ($0.role, $0.content) }, generationPrompt: false, template: template.source)
        XCTAssertEqual(tok.decode(x.tokens.map { Int($0) }), full)
        XCTAssertTrue(full.hasPrefix("<|im_start|>system\nYou are a helpful AI assistant named SmolLM"), full)
        let all = try XCTUnwrap(try encoder(trainOnInputs: true).encode(e))
        XCTAssertEqual(all.targetCount, all.tokens.count - 1)
    }

    func testCompletionWithoutTemplateAndText() throws {
        let c = try XCTUnwrap(try encoder(chat: false).encode(.completion(prompt: "Q: 2+2?", completion: " 4")))
        let trained = tok.decode(zip(c.tokens, c.trained).filter { $0.1 }.map { Int($0.0) })
        XCTAssertTrue(trained.hasPrefix(" 4"), trained)
        let t = try XCTUnwrap(try encoder().encode(.text("hello")))
        XCTAssertEqual(t.targetCount, t.tokens.count - 1)
    }

    func testLongSequencePolicies() throws {
        let e = Example.text(String(repeating: "abc ", count: 40))
        XCTAssertThrowsError(try encoder(max: 16).encode(e)) { XCTAssertTrue("\($0)".contains("longer than max_seq_length 16")) }
        XCTAssertNil(try encoder(max: 16, policy: .skip).encode(e))
        XCTAssertEqual(try encoder(max: 16, policy: .truncate).encode(e)?.tokens.count, 16)
    }

    func testDataErrorsNameFileAndLine() throws {
        let dir = TestSupport.makeTempDir()
        let good = #"{"prompt": "a", "completion": "b"}"#
        func check(_ body: String, _ text: String, line: Int, max: Int = 512) throws {
            let path = dir.appendingPathComponent("t\(line)-\(text.count).jsonl").path
            try body.write(toFile: path, atomically: true, encoding: .utf8)
            var c = TrainConfig(); c.dataTrain = path; c.maxSeqLength = max
            XCTAssertThrowsError(try TrainingData.load(config: c, tokenizer: tok, chatTemplate: template)) { e in
                XCTAssertTrue("\(e)".contains("\(path):\(line)"), "\(e)")
                XCTAssertTrue("\(e)".contains(text), "\(e)")
            }
        }
        try check("\(good)\n{not json\n", "JSON", line: 2)
        try check("\(good)\n\(good)\n{\"prompt\": \"x\", \"completion\": \"\"}\n", "completion is empty", line: 3)
        try check("\(good)\n{\"prompt\": \"\(String(repeating: "long ", count: 60))\", \"completion\": \"b\"}\n", "longer than max_seq_length", line: 2, max: 200)
    }

    func testPaddingAndPacking() {
        let a = EncodedExample(tokens: [1, 2, 3], trained: [false, false, true], source: "a")
        let b = EncodedExample(tokens: [4, 5, 6, 7, 8], trained: [false, true, true, true, true], source: "b")
        let padded = Batcher(microBatchSize: 2, maxSeqLength: 8, packing: false, padToken: 0).microBatches([a, b], order: [0, 1])
        XCTAssertEqual(padded.count, 1)
        XCTAssertEqual(padded[0].seqLen, 5)
        XCTAssertEqual(padded[0].tokens, [1, 2, 3, 0, 0, 4, 5, 6, 7, 8])
        XCTAssertEqual(padded[0].targets, [-1, 3, -1, -1, -1, 5, 6, 7, 8, -1])
        let packed = Batcher(microBatchSize: 1, maxSeqLength: 8, packing: true, padToken: 0).microBatches([a, b], order: [0, 1])
        XCTAssertEqual(packed.count, 1)
        XCTAssertEqual(packed[0].tokens, [1, 2, 3, 4, 5, 6, 7, 8])
        XCTAssertEqual(packed[0].positions, [0, 1, 2, 0, 1, 2, 3, 4])
        XCTAssertEqual(packed[0].keyStart, [0, 0, 0, 3, 3, 3, 3, 3])
        XCTAssertEqual(packed[0].targets, [-1, 3, -1, 5, 6, 7, 8, -1])
        // Unpadded: the longest example first, each into the shortest row; a row keeps its examples
        // in order and its padding is a segment of its own.
        let c = EncodedExample(tokens: [9, 10], trained: [false, true], source: "c")
        let rows = Batcher(microBatchSize: 3, maxSeqLength: 8, packing: false, padToken: 0, rowsPerBatch: 2)
            .microBatches([a, b, c], order: [0, 1, 2])
        XCTAssertEqual(rows.count, 1)
        XCTAssertEqual(rows[0].batch, 2)
        XCTAssertEqual(rows[0].seqLen, 5)
        XCTAssertEqual(rows[0].tokens, [4, 5, 6, 7, 8, 1, 2, 3, 9, 10])
        XCTAssertEqual(rows[0].positions, [0, 1, 2, 3, 4, 0, 1, 2, 0, 1])
        XCTAssertEqual(rows[0].keyStart, [0, 0, 0, 0, 0, 0, 0, 0, 3, 3])
        XCTAssertEqual(rows[0].targets, [5, 6, 7, 8, -1, -1, 3, -1, 10, -1])
        // Two rows would not be fewer than padding these two: they stay one per row.
        let two = Batcher(microBatchSize: 2, maxSeqLength: 8, packing: false, padToken: 0, rowsPerBatch: 2).microBatches([a, b], order: [0, 1])
        XCTAssertEqual(two[0].tokens, padded[0].tokens)
    }
}
