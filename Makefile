# muqir — build, test, demo, install. See README.md.
#
#   make            build build/muqir (installs missing Debian packages first)
#   make test       unit + end-to-end tests, then again under ASan/UBSan
#   make demo       render scripts/demo.yaml to out/demo.wav and play it if a device exists
#   make fuzz       libFuzzer targets (clang) for FUZZ_SECONDS each; crashes kept as regressions
#   make valgrind   check, render, pinyin and bundle of the shipped programs under valgrind
#   make soak       a scripted live session of SOAK_SECONDS with the other core busy
#   make install    PREFIX=/usr/local DESTDIR=

PKGS    := espeak-ng portaudio-2.0 sndfile yaml-0.1 soxr libebur128 ncursesw libutf8proc nettle zlib jansson libxxhash
PREFIX  ?= /usr/local
BUILD   ?= build
CC      ?= cc
SAN     ?=
V       ?=
Q       := $(if $(V),,@)

CFLAGS_BASE := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Wall -Wextra -Werror \
               -Wshadow -Wstrict-prototypes -Wvla -O2 -g -MMD -MP
ifeq ($(SAN),1)
# The sanitizer build runs every loop's plain x86-64 form (mq_clones.h): the
# plain build, on an AVX2 machine, runs only the AVX2 clones.
CFLAGS_BASE += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined \
               -DMQ_NO_VECTOR_CLONES
LDSAN       := -fsanitize=address,undefined
endif
# Evaluated when a recipe runs, i.e. after the dependency check below.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS)) -lm -lpthread
DATADIR_DEF = -DMQ_DATADIR='"$(PREFIX)/share/muqir"'

LIB_SRC  := $(sort $(filter-out engine/cli/%,$(wildcard engine/*/*.c)))
CLI_SRC  := $(sort $(wildcard engine/cli/*.c))
TEST_SRC := $(sort $(wildcard tests/unit/test_*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
# Each fuzz target is also built as a plain test that replays its corpus and
# its regressions once (tests/fuzz/replay.c), so CI tests them without libFuzzer.
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_REPLAY := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=$(BUILD)/tests/test_fuzz_%)
LEXICON_INDEX := voices/lexicon/.index.mqx

.PHONY: all deps test test-plain check-asan demo install clean bench bench-reading lexicon music \
        fuzz valgrind soak

all: $(BUILD)/muqir $(TEST_BIN) $(FUZZ_REPLAY) $(LEXICON_INDEX)

# The lexicon's checked index, made for its files' contents, shipped beside
# them (as eSpeak NG compiles its dictionaries at build time): a first run or
# one with --no-cache need not check its 460 000 lines.
$(LEXICON_INDEX): $(BUILD)/lexicon-index voices/lexicon/words.tsv voices/lexicon/places.tsv \
                  voices/lexicon/chars.tsv
	@$(if $(V),,echo "  INDEX   $@")
	$(Q)$(BUILD)/lexicon-index voices/lexicon

$(BUILD)/lexicon-index: tools/lexicon-index.c $(BUILD)/libmuqir.a | $(BUILD)/.deps
	$(Q)$(CC) $(CFLAGS_BASE) $(PKG_CFLAGS) $(CFLAGS) -Iengine $(LDSAN) $(LDFLAGS) -o $@ $< \
	    $(BUILD)/libmuqir.a $(PKG_LIBS)

# Installs missing packages only when pkg-config cannot find one of them;
# checked again whenever the list changes.
$(BUILD)/.deps: Makefile tools/install-deps
	@pkg-config --exists $(PKGS) || tools/install-deps
	@mkdir -p $(BUILD) && touch $@

deps: $(BUILD)/.deps

$(BUILD)/obj/%.o: %.c | $(BUILD)/.deps
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS_BASE) $(PKG_CFLAGS) $(DATADIR_DEF) $(CFLAGS) -c $< -o $@

$(BUILD)/libmuqir.a: $(LIB_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(BUILD)/muqir: $(CLI_OBJ) $(BUILD)/libmuqir.a
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(LDSAN) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libmuqir.a $(PKG_LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libmuqir.a tests/unit/mq_test.h | $(BUILD)/.deps
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  TEST    $@")
	$(Q)$(CC) $(CFLAGS_BASE) $(PKG_CFLAGS) $(CFLAGS) -Iengine $(LDSAN) $(LDFLAGS) -o $@ $< $(BUILD)/libmuqir.a $(PKG_LIBS)

$(BUILD)/tests/test_fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(BUILD)/libmuqir.a | $(BUILD)/.deps
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  TEST    $@")
	$(Q)$(CC) $(filter-out -MMD -MP,$(CFLAGS_BASE)) $(PKG_CFLAGS) $(CFLAGS) -DFUZZ_TARGET='"$*"' \
	    $(LDSAN) $(LDFLAGS) -o $@ tests/fuzz/fuzz_$*.c tests/fuzz/replay.c $(BUILD)/libmuqir.a $(PKG_LIBS)

# The suite runs twice: the normal build, then the same tests under
# AddressSanitizer + UndefinedBehaviorSanitizer; tests/run prints the totals.
test: $(BUILD)/.deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory BUILD=build/asan SAN=1 all
	@tests/run build build/asan

test-plain: all
	@tests/run build

check-asan:
	@$(MAKE) --no-print-directory BUILD=build/asan SAN=1 all
	@tests/run build/asan

demo: all
	@tools/demo

# libFuzzer: the library rebuilt with clang and coverage + ASan/UBSan in
# build/fuzz, each target run for FUZZ_SECONDS (tests/fuzz/run).
FUZZ_SECONDS ?= 60
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
fuzz: $(BUILD)/.deps
	@$(MAKE) --no-print-directory BUILD=build/fuzz CC=clang \
	    CFLAGS="-O1 -fsanitize=fuzzer-no-link $(FUZZ_SAN)" build/fuzz/libmuqir.a
	@for t in $(FUZZ_SRC:tests/fuzz/fuzz_%.c=%); do \
	    echo "  FUZZ    build/fuzz/fuzz_$$t"; \
	    clang $(filter-out -MMD -MP -O2,$(CFLAGS_BASE)) -O1 $(PKG_CFLAGS) -fsanitize=fuzzer $(FUZZ_SAN) \
	        -o build/fuzz/fuzz_$$t tests/fuzz/fuzz_$$t.c build/fuzz/libmuqir.a $(PKG_LIBS) || exit 1; \
	done
	@FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run $(FUZZ_SRC:tests/fuzz/fuzz_%.c=%)

# Valgrind (memcheck) on the shipped programs: definite leaks and errors fail
# (VALGRIND_QUICK=1: without the evening show's check, for CI).
valgrind: all
	@VALGRIND_QUICK=$(VALGRIND_QUICK) tools/valgrind-check

# An unattended live session over stdin (tools/soak): underruns and memory.
SOAK_SECONDS ?= 3600
soak: all
	@SOAK_SECONDS=$(SOAK_SECONDS) tools/soak

bench: all
	@tools/bench

bench-reading: all
	@tools/bench-reading

# Regenerates content/music and content/clips from content/music/scores.txt (needs sox).
music:
	tools/make-music

# Regenerates voices/lexicon from the pinned npm packages (needs node and npm;
# the engine itself never touches npm). See voices/lexicon/SOURCES.md.
lexicon:
	cd tools/build-lexicon && npm ci && node build.mjs

install: $(BUILD)/muqir $(LEXICON_INDEX)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/muqir/voices
	install -m 755 $(BUILD)/muqir $(DESTDIR)$(PREFIX)/bin/muqir
	cp -R voices/. $(DESTDIR)$(PREFIX)/share/muqir/voices/

clean:
	rm -rf build out $(LEXICON_INDEX)

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
