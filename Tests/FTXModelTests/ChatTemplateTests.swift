import XCTest
@testable import FTXModel

/// The Jinja-subset interpreter on the chat templates of the common model families.
final class ChatTemplateTests: XCTestCase {
    let convo: [(role: String, content: String)] = [("system", "Be nice."), ("user", "Hi"), ("assistant", "Hello!"), ("user", "Bye")]

    func testChatMLWithAndWithoutSystem() throws {
        let t = ChatTemplate(source: ChatTemplate.chatML)
        XCTAssertEqual(try t.render(messages: [("user", "Q")], addGenerationPrompt: true),
                       "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n")
        XCTAssertEqual(try t.render(messages: [("system", "S"), ("user", "Q")], addGenerationPrompt: false),
                       "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nQ<|im_end|>\n")
    }

    func testLlama2() throws {
        let src = "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}"
        let t = ChatTemplate(source: src, bosToken: "<s>", eosToken: "</s>")
        XCTAssertEqual(try t.render(messages: convo, addGenerationPrompt: true),
                       "<s>[INST] <<SYS>>\nBe nice.\n<</SYS>>\n\nHi [/INST] Hello! </s><s>[INST] Bye [/INST]")
        XCTAssertThrowsError(try t.render(messages: [("assistant", "x")], addGenerationPrompt: true)) { e in
            XCTAssertTrue("\(e)".contains("Conversation roles must alternate"))
        }
    }

    func testLlama3() throws {
        let src = "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}"
        let t = ChatTemplate(source: src, bosToken: "<|begin_of_text|>")
        XCTAssertEqual(try t.render(messages: [("user", " Hi ")], addGenerationPrompt: true),
                       "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")
    }

    func testMistral() throws {
        let src = "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}"
        let t = ChatTemplate(source: src, bosToken: "<s>", eosToken: "</s>")
        XCTAssertEqual(try t.render(messages: Array(convo.dropFirst()), addGenerationPrompt: true),
                       "<s>[INST] Hi [/INST]Hello!</s>[INST] Bye [/INST]")
        XCTAssertThrowsError(try t.render(messages: convo, addGenerationPrompt: true))
    }

    func testZephyrWithTrimBlocks() throws {
        let src = "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}"
        let t = ChatTemplate(source: src, eosToken: "</s>")
        XCTAssertEqual(try t.render(messages: [("system", "S"), ("user", "U")], addGenerationPrompt: true),
                       "<|system|>\nS</s>\n<|user|>\nU</s>\n<|assistant|>\n")
    }

    func testExpressionsFiltersAndNamespaces() throws {
        let src = """
        {%- set ns = namespace(count=0) -%}
        {%- for m in messages if m.role != 'system' -%}
        {%- set ns.count = ns.count + 1 -%}
        {{ loop.index }}/{{ loop.length }}:{{ m.content | upper }}{{ ',' if not loop.last }}
        {%- endfor -%}
        |{{ ns.count }}|{{ messages | length }}|{{ (messages | map(attribute='role') | join('+')) }}|{{ 'x' ~ 3 }}|{{ [1, 2, 3][-1] }}|{{ 'abc'[1:] }}|{{ undefined_thing | default('dflt') }}|{{ {'k': 'v'}.get('k') }}|{{ 7 // 2 }}|{{ none is none }}|{{ 'a' in 'cat' }}|{{ messages[0].content is string }}|{{ "q\\"uote" | tojson }}
        """
        let t = ChatTemplate(source: src)
        XCTAssertEqual(try t.render(messages: convo, addGenerationPrompt: false),
                       "1/3:HI,2/3:HELLO!,3/3:BYE|3|4|system+user+assistant+user|x3|3|bc|dflt|v|3|True|True|True|\"q\\\"uote\"")
    }

    func testUnknownConstructsAreClearErrors() {
        for (src, fragment) in [("{% macro m() %}{% endmacro %}", "unsupported statement"),
                                ("{{ x | frobnicate }}", "unsupported filter 'frobnicate'"),
                                ("{% if x %}no end", "endif %}"),
                                ("{{ 'open", "unclosed"),
                                ("line1\n{{ foo( }}", "line 2")] {
            XCTAssertThrowsError(try ChatTemplate(source: src).render(messages: [], addGenerationPrompt: false)) { e in
                XCTAssertTrue("\(e)".contains(fragment), "\(src): \(e)")
            }
        }
    }
}
