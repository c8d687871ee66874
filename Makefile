# branchq: `make` builds build/branchqd and build/branchq; `make test` runs
# every test; `make SANITIZE=1 BUILD=build/asan test` runs them under
# AddressSanitizer + UndefinedBehaviorSanitizer.

BUILD	?= build
CC	?= cc
PKGS	 = libevent sqlite3 libcjson libcrypto libcurl libssl libevent_openssl libsystemd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) libpq)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) libpq) -pthread

WARN	 = -Wall -Wextra -Werror -Wshadow -Wconversion -Wstrict-prototypes \
	   -Wmissing-prototypes -Wno-sign-conversion
CFLAGS	?= -O2 -g
CFLAGS	+= -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) \
	   -Iinclude -I$(BUILD)/gen $(PKG_CFLAGS)
ifeq ($(SANITIZE),1)
CFLAGS	+= -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS	+= -fsanitize=address,undefined
endif
# `make fuzz` builds with clang: libFuzzer's coverage, ASan and UBSan.
ifeq ($(SANITIZE),fuzz)
CFLAGS	+= -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=all
LDFLAGS	+= -fsanitize=address,undefined
endif

# The pure modules, shared by the daemon and the unit tests.
CORE	 = log err clock names route queue config recovery stats json fields net http-parse \
	   metrics
# The daemon, layer by layer (docs/DESIGN.md): TLS, storage, domain,
# dispatch, the commit barrier and the publisher, the transports.
DAEMON	 = $(CORE) tls store checkpoint migrations report printer hq backup \
	   branch ticket window webhook complaint retention websession webfiles \
	   op-session op-ticket op-window op-queue op-complaint op-report op-webhook op-backup proto \
	   events publish barrier server http http-api reload notify
# The client is a program of its own: its files and the shared name lists.
CLIENT	 = client client-args client-conn client-print client-report client-watch \
	   client-token client-hq
# libpq: the client's `branchq hq` (client-hq.c) and its test alone.
PQ_CFLAGS := $(shell pkg-config --cflags libpq)
PQ_LIBS	  := $(shell pkg-config --libs libpq)
CORE_O	 = $(CORE:%=$(BUILD)/obj/%.o)
DAEMON_O = $(DAEMON:%=$(BUILD)/obj/%.o)
CLIENT_O = $(CLIENT:%=$(BUILD)/obj/%.o)

# branchqd-test: the same daemon with the test hooks (BQ_TEST_HOOKS): the
# test clock, clock.advance, test.fault and the fault VFS.  The files that
# differ are built a second time into obj-test; the rest are shared.
HOOKED	 = clock proto branchqd
TESTONLY = faultvfs op-test
TOBJ	 = $(BUILD)/obj-test
TEST_O	 = $(filter-out $(HOOKED:%=$(BUILD)/obj/%.o),$(DAEMON_O)) \
	   $(filter-out $(TOBJ)/branchqd.o,$(HOOKED:%=$(TOBJ)/%.o)) $(TESTONLY:%=$(TOBJ)/%.o)
CORE_TEST_O = $(filter-out $(BUILD)/obj/clock.o,$(CORE_O)) $(TOBJ)/clock.o

UNIT	 = test_route test_queue test_clock test_config test_recovery test_stats test_json \
	   test_fields test_metrics
E2E	 = test_session test_tickets test_dayend test_windows test_restart test_errors test_faults \
	   test_complaints test_reports test_webhooks test_dbfaults test_crash test_client \
	   test_limits test_group test_checkpoint test_vendor test_events \
	   test_http test_http_session test_http_events test_tls test_printer test_reload \
	   test_upgrade test_metrics test_tools test_notify test_backup test_retention \
	   test_hq_log test_hq_offline test_hq

all: $(BUILD)/branchqd $(BUILD)/branchqd-test $(BUILD)/branchq

$(BUILD)/branchqd: $(DAEMON_O) $(BUILD)/obj/branchqd.o
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(BUILD)/branchqd-test: $(TEST_O) $(TOBJ)/branchqd.o
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(BUILD)/branchq: $(CLIENT_O) $(BUILD)/obj/names.o
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(PQ_LIBS)

$(BUILD)/obj/%.o: src/%.c include/branchq.h include/names.h | $(BUILD)/obj
	$(CC) $(CFLAGS) -c -o $@ $<
$(CLIENT_O): src/client.h

$(TOBJ)/%.o: src/%.c include/branchq.h include/names.h | $(TOBJ)
	$(CC) $(CFLAGS) -DBQ_TEST_HOOKS -c -o $@ $<

# sql/NNN_name.sql are compiled into the daemon, which applies them in order.
$(BUILD)/gen/migrations.inc: $(sort $(wildcard sql/[0-9]*.sql)) sql/embed.sh | $(BUILD)/gen
	sh sql/embed.sh $(sort $(wildcard sql/[0-9]*.sql)) > $@.tmp && mv $@.tmp $@
$(BUILD)/obj/migrations.o: $(BUILD)/gen/migrations.inc

# sql/hq/NNN_name.sql, head office's schema, compiled into the client, which
# applies them in order (branchq hq migrate).
$(BUILD)/gen/hq-migrations.inc: $(sort $(wildcard sql/hq/[0-9]*.sql)) sql/embed.sh | $(BUILD)/gen
	sh sql/embed.sh $(sort $(wildcard sql/hq/[0-9]*.sql)) > $@.tmp && mv $@.tmp $@
$(BUILD)/obj/client-hq.o: $(BUILD)/gen/hq-migrations.inc
$(BUILD)/obj/client-hq.o: CFLAGS += $(PQ_CFLAGS)

# web/ (the pages, their scripts, styles, sounds) compiled into the daemon.
# Chart.js is Debian's (libjs-chart.js), served as /lib/chart.min.js.
WEBFILES := $(sort $(shell find web -type f ! -name embed.sh ! -name '*.md' ! -name '*.sh' \
	    2>/dev/null))
CHARTJS	 ?= /usr/share/javascript/chart.js/chart.min.js
WEBEXTRA := /lib/chart.min.js=$(CHARTJS)
# The lobby display's spoken calls: clips made by espeak-ng at build time
# (web/display/make-clips.sh, docs/DISPLAY.md), served as /display/sounds/NAME.wav.
CLIPS	 := $(shell sh web/display/make-clips.sh --list)
SOUNDS	  = $(BUILD)/gen/sounds
WEBEXTRA += $(foreach c,$(CLIPS),/display/sounds/$(c).wav=$(SOUNDS)/$(c).wav)
$(SOUNDS)/.made: web/display/make-clips.sh | $(BUILD)/gen
	@command -v espeak-ng >/dev/null 2>&1 || { echo "espeak-ng is missing: apt-get install espeak-ng (it makes the lobby display's spoken calls, web/display/make-clips.sh)" >&2; exit 2; }
	rm -rf $(SOUNDS) && sh web/display/make-clips.sh $(SOUNDS) && touch $@
$(CLIPS:%=$(SOUNDS)/%.wav): $(SOUNDS)/.made

$(BUILD)/gen/webfiles.inc: $(WEBFILES) $(CHARTJS) $(SOUNDS)/.made web/embed.sh | $(BUILD)/gen
	sh web/embed.sh $(WEBFILES) $(WEBEXTRA) > $@.tmp && mv $@.tmp $@

$(CHARTJS):
	@echo "$@ is missing: apt-get install libjs-chart.js (sh .ci/deps installs it)" >&2; exit 2
$(BUILD)/obj/webfiles.o: $(BUILD)/gen/webfiles.inc

$(BUILD)/obj $(TOBJ) $(BUILD)/gen $(BUILD)/tests:
	mkdir -p $@

# ---- tests ----
TEST_CFLAGS = $(CFLAGS) -Itests/e2e $(shell pkg-config --cflags cmocka)
TEST_LIBS   = $(PKG_LIBS) $(shell pkg-config --libs cmocka) -lm

# Unit tests link only the pure modules (the test clock's): no socket, no database.
$(BUILD)/tests/test_%: tests/unit/test_%.c $(CORE_TEST_O) | $(BUILD)/tests
	$(CC) $(TEST_CFLAGS) -DBQ_TEST_HOOKS $(LDFLAGS) -o $@ $< $(CORE_TEST_O) $(TEST_LIBS)

$(BUILD)/tests/e2e_%: tests/e2e/%.c tests/e2e/harness.c tests/e2e/harness.h | $(BUILD)/tests
	$(CC) $(TEST_CFLAGS) $(LDFLAGS) -o $@ $< tests/e2e/harness.c $(TEST_LIBS)

# The head-office tests also speak to a real PostgreSQL (pg.c: libpq).
$(BUILD)/tests/e2e_test_hq: tests/e2e/test_hq.c tests/e2e/pg.c tests/e2e/pg.h tests/e2e/harness.c \
	    tests/e2e/harness.h | $(BUILD)/tests
	$(CC) $(TEST_CFLAGS) $(PQ_CFLAGS) $(LDFLAGS) -o $@ $< tests/e2e/pg.c tests/e2e/harness.c \
	    $(TEST_LIBS) $(PQ_LIBS)

UNIT_BIN = $(UNIT:%=$(BUILD)/tests/%) $(BUILD)/tests/test_barrier \
	   $(BUILD)/tests/test_printer

# The receipt printer's renderer (pure) beside the pure modules.
$(BUILD)/tests/test_printer: tests/unit/test_printer.c $(CORE_TEST_O) $(BUILD)/obj/printer.o | $(BUILD)/tests
	$(CC) $(TEST_CFLAGS) -DBQ_TEST_HOOKS $(LDFLAGS) -o $@ $< $(CORE_TEST_O) \
	    $(BUILD)/obj/printer.o $(TEST_LIBS)

# The commit barrier on a real SQLite file, failing through the fault VFS.
BARRIER_O = $(CORE_TEST_O) $(BUILD)/obj/store.o $(BUILD)/obj/checkpoint.o \
	   $(BUILD)/obj/migrations.o $(BUILD)/obj/branch.o $(BUILD)/obj/barrier.o \
	   $(BUILD)/obj/publish.o $(TOBJ)/faultvfs.o
$(BUILD)/tests/test_barrier: tests/unit/test_barrier.c $(BARRIER_O) | $(BUILD)/tests
	$(CC) $(TEST_CFLAGS) -DBQ_TEST_HOOKS $(LDFLAGS) -o $@ $< $(BARRIER_O) $(TEST_LIBS)
E2E_BIN	 = $(E2E:%=$(BUILD)/tests/e2e_%)

# Head office's schema and `branchq hq` on a throwaway PostgreSQL 15
# (tests/pg/cluster.sh): no daemon, so neither a unit nor an e2e test.
HQ_TEST	 = $(BUILD)/tests/hq_test_schema
$(HQ_TEST): tests/hq/test_hq_schema.c | $(BUILD)/tests
	$(CC) $(TEST_CFLAGS) $(PQ_CFLAGS) $(LDFLAGS) -o $@ $< $(TEST_LIBS) $(PQ_LIBS)

# The fuzz target (tests/fuzz/README.md) links branchqd-test's objects but
# the TCP transport and main(): it is a transport of its own, on the real
# dispatch, commit barrier and publisher.
FUZZ_O	 = $(filter-out $(BUILD)/obj/server.o $(BUILD)/obj/reload.o,$(TEST_O))
FUZZ_REPLAY = $(BUILD)/tests/fuzz_replay

# The HTTP target is the HTTP transport itself (it stands in for http.c).
FUZZ_HTTP_O = $(filter-out $(BUILD)/obj/http.o,$(FUZZ_O))
FUZZ_HTTP_REPLAY = $(BUILD)/tests/fuzz_http_replay

# The configuration reader's target needs only the pure modules (config.c).
FUZZ_CONFIG_REPLAY = $(BUILD)/tests/fuzz_config_replay

# Every input the fuzzer ever crashed on, and the seeds, replayed by an
# ordinary build: part of `make test`.
$(FUZZ_REPLAY): tests/fuzz/replay.c tests/fuzz/fuzz_proto.c $(FUZZ_O) | $(BUILD)/tests
	$(CC) $(TEST_CFLAGS) -DBQ_TEST_HOOKS $(LDFLAGS) -o $@ tests/fuzz/replay.c \
	    tests/fuzz/fuzz_proto.c $(FUZZ_O) $(TEST_LIBS)
$(FUZZ_HTTP_REPLAY): tests/fuzz/replay.c tests/fuzz/fuzz_http.c $(FUZZ_HTTP_O) | $(BUILD)/tests
	$(CC) $(TEST_CFLAGS) -DBQ_TEST_HOOKS -DREPLAY_HTTP $(LDFLAGS) -o $@ tests/fuzz/replay.c \
	    tests/fuzz/fuzz_http.c $(FUZZ_HTTP_O) $(TEST_LIBS)
$(FUZZ_CONFIG_REPLAY): tests/fuzz/replay.c tests/fuzz/fuzz_config.c $(CORE_TEST_O) | $(BUILD)/tests
	$(CC) $(TEST_CFLAGS) -DBQ_TEST_HOOKS -DREPLAY_CONFIG $(LDFLAGS) -o $@ tests/fuzz/replay.c \
	    tests/fuzz/fuzz_config.c $(CORE_TEST_O) $(TEST_LIBS)
FUZZ_REPLAYS = $(FUZZ_REPLAY) $(FUZZ_HTTP_REPLAY) $(FUZZ_CONFIG_REPLAY)

tests: all $(UNIT_BIN) $(E2E_BIN) $(HQ_TEST) $(FUZZ_REPLAYS)

# BRANCHQD_WRAPPER (e.g. "valgrind --error-exitcode=99") wraps the daemon in e2e tests.
# tests/layers.sh: the layers of docs/DESIGN.md, read from the objects' symbols.
test: tests
	@BUILD=$(BUILD) sh tests/layers.sh
	@BUILD=$(BUILD) sh tests/man/check.sh
	@BUILD=$(BUILD) sh tests/run.sh $(UNIT_BIN) $(E2E_BIN) $(HQ_TEST) $(FUZZ_REPLAYS)

layers: tests
	@BUILD=$(BUILD) sh tests/layers.sh

# The manual pages (docs/man): mandoc -Tlint, and --help and config.c's
# keys against them (tests/man/check.sh).  Needs mandoc.
check-man: $(BUILD)/branchqd $(BUILD)/branchq
	@BUILD=$(BUILD) sh tests/man/check.sh

valgrind: tests
	@BUILD=$(BUILD) BRANCHQD_WRAPPER="valgrind -q --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all --error-exitcode=99 --suppressions=$(CURDIR)/tests/valgrind.supp" \
	    sh tests/run.sh $(E2E_BIN)

# The pages in headless Chromium driven by Selenium (tests/web/), against
# build/branchqd-test; screenshots land in build/screenshots/.
PYTHON	?= /usr/bin/python3
check-web: all
	BUILD=$(BUILD) $(PYTHON) -m unittest discover -s tests/web -p 'test_*.py' $(if $(V),-v)

# The README's screenshots: the browser tests' own, at 1920x1080.
SCREENSHOTS = kiosk kiosk-ticket display counter supervisor
screenshots: check-web
	mkdir -p docs/screenshots
	for n in $(SCREENSHOTS); do cp $(BUILD)/screenshots/$$n.png docs/screenshots/; done

# The whole suite: plain, the pages in a browser, then under ASan+UBSan,
# then the daemon under valgrind.
check:
	$(MAKE) test
	$(MAKE) check-deb
	$(MAKE) check-web V=1
	$(MAKE) SANITIZE=1 BUILD=build/asan test
	$(MAKE) valgrind
	$(MAKE) fuzz-run FUZZ_SECONDS=60
	$(MAKE) bench-smoke

# ---- fuzzing (issue 5): libFuzzer, so clang; see tests/fuzz/README.md ----
FUZZ_BUILD	 = build/fuzz
FUZZ_SECONDS	?= 60
# fuzz-run shares FUZZ_SECONDS between the targets: half for the protocol
# (fuzz_proto), a quarter each for HTTP (fuzz_http) and the configuration
# reader (fuzz_config): 30 s + 15 s + 15 s.
FUZZ_HTTP_SECONDS   = $(shell expr $(FUZZ_SECONDS) / 4)
FUZZ_CONFIG_SECONDS = $(shell expr $(FUZZ_SECONDS) / 4)
FUZZ_PROTO_SECONDS  = $(shell expr $(FUZZ_SECONDS) - $(FUZZ_HTTP_SECONDS) - $(FUZZ_CONFIG_SECONDS))

fuzz:
	$(MAKE) CC=clang BUILD=$(FUZZ_BUILD) SANITIZE=fuzz $(FUZZ_BUILD)/fuzz_proto \
	    $(FUZZ_BUILD)/fuzz_http $(FUZZ_BUILD)/fuzz_config

$(BUILD)/fuzz_proto: tests/fuzz/fuzz_proto.c $(FUZZ_O)
	$(CC) $(CFLAGS) -DBQ_TEST_HOOKS $(LDFLAGS) -fsanitize=fuzzer -o $@ \
	    tests/fuzz/fuzz_proto.c $(FUZZ_O) $(PKG_LIBS) -lm

$(BUILD)/fuzz_http: tests/fuzz/fuzz_http.c $(FUZZ_HTTP_O)
	$(CC) $(CFLAGS) -DBQ_TEST_HOOKS $(LDFLAGS) -fsanitize=fuzzer -o $@ \
	    tests/fuzz/fuzz_http.c $(FUZZ_HTTP_O) $(PKG_LIBS) -lm

$(BUILD)/fuzz_config: tests/fuzz/fuzz_config.c $(CORE_TEST_O)
	$(CC) $(CFLAGS) -DBQ_TEST_HOOKS $(LDFLAGS) -fsanitize=fuzzer -o $@ \
	    tests/fuzz/fuzz_config.c $(CORE_TEST_O) $(PKG_LIBS) -lm

# Each run fails on the first crash, leak or sanitizer report; the input that
# did it is left in build/fuzz/artifacts/ (minimise it, then
# tests/fuzz/regressions/, regressions-http/ or regressions-config/).
FUZZ_PROTO_RUN = mkdir -p $(FUZZ_BUILD)/corpus $(FUZZ_BUILD)/artifacts && \
	cp tests/fuzz/corpus/* $(FUZZ_BUILD)/corpus/ && \
	$(FUZZ_BUILD)/fuzz_proto -max_len=70000 -timeout=5 \
	    -dict=tests/fuzz/proto.dict -artifact_prefix=$(FUZZ_BUILD)/artifacts/ \
	    -print_final_stats=1 $(FUZZ_BUILD)/corpus tests/fuzz/regressions
FUZZ_HTTP_RUN = mkdir -p $(FUZZ_BUILD)/corpus-http $(FUZZ_BUILD)/artifacts && \
	cp tests/fuzz/corpus-http/* $(FUZZ_BUILD)/corpus-http/ && \
	$(FUZZ_BUILD)/fuzz_http -max_len=70000 -timeout=5 \
	    -dict=tests/fuzz/http.dict -artifact_prefix=$(FUZZ_BUILD)/artifacts/http- \
	    -print_final_stats=1 $(FUZZ_BUILD)/corpus-http tests/fuzz/regressions-http
FUZZ_CONFIG_RUN = mkdir -p $(FUZZ_BUILD)/corpus-config $(FUZZ_BUILD)/artifacts && \
	cp tests/fuzz/corpus-config/* $(FUZZ_BUILD)/corpus-config/ && \
	$(FUZZ_BUILD)/fuzz_config -max_len=16384 -timeout=5 \
	    -dict=tests/fuzz/config.dict -artifact_prefix=$(FUZZ_BUILD)/artifacts/config- \
	    -print_final_stats=1 $(FUZZ_BUILD)/corpus-config tests/fuzz/regressions-config

fuzz-run: fuzz
	$(FUZZ_PROTO_RUN) -max_total_time=$(FUZZ_PROTO_SECONDS)
	$(FUZZ_HTTP_RUN) -max_total_time=$(FUZZ_HTTP_SECONDS)
	$(FUZZ_CONFIG_RUN) -max_total_time=$(FUZZ_CONFIG_SECONDS)

# One target alone, for all of FUZZ_SECONDS.
fuzz-proto: fuzz
	$(FUZZ_PROTO_RUN) -max_total_time=$(FUZZ_SECONDS)
fuzz-http: fuzz
	$(FUZZ_HTTP_RUN) -max_total_time=$(FUZZ_SECONDS)
fuzz-config: fuzz
	$(FUZZ_CONFIG_RUN) -max_total_time=$(FUZZ_SECONDS)

fuzz-regress: $(FUZZ_REPLAYS)
	@BUILD=$(BUILD) sh tests/run.sh $(FUZZ_REPLAYS)

# ---- benchmarks (not tests: nothing timed runs in `make test`) ----
$(BUILD)/bench/loadgen: bench/loadgen.c | $(BUILD)/bench
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(PKG_LIBS)
$(BUILD)/bench/bareloop: bench/bareloop.c | $(BUILD)/bench
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(PKG_LIBS)
# The HTTP benchmark's client (issue 16): epoll, no libraries.
$(BUILD)/bench/httpgen: bench/httpgen.c | $(BUILD)/bench
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<
$(BUILD)/bench:
	mkdir -p $@
# The report benchmark (issue 3): a year of a busy branch, generated with the
# daemon's own router, queue and recovery rules (the CORE objects).
$(BUILD)/bench/gen-year: bench/gen-year.c $(CORE_O) include/branchq.h include/names.h | $(BUILD)/bench
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(CORE_O) $(PKG_LIBS) -lm
$(BUILD)/bench/report-bench: bench/report-bench.c | $(BUILD)/bench
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(PKG_LIBS)

# The head-office benchmark (issue 19): the relay (src/hq.c, the daemon's
# own object) for many branches on one loop, against PostgreSQL.
$(BUILD)/bench/hq-sim: bench/hq-sim.c $(CORE_O) $(BUILD)/obj/hq.o include/branchq.h | $(BUILD)/bench
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(CORE_O) $(BUILD)/obj/hq.o $(PKG_LIBS) \
	    $(shell pkg-config --libs libpq) -lm

bench: all $(BUILD)/bench/gen-year $(BUILD)/bench/report-bench

# Reports on a year: 1,000,000 tickets, 20,000 complaints (minutes; see docs/PERFORMANCE.md).
bench-reports: bench
	BUILD=$(BUILD) sh bench/report-bench.sh

# The same on 10,000 tickets and 200 complaints, in seconds, checked.
bench-reports-smoke: bench
	BUILD=$(BUILD) TICKETS=10000 COMPLAINTS=200 DAYS=30 RUNS=2 WAITING=2000 PORT=17498 sh bench/report-bench.sh

# Backups (issue 18): a copy of a year's database, timed, and the longest
# ticket.issue round trip while it is made beside the same with none (a few
# minutes; see docs/PERFORMANCE.md "Backups").  Not part of `make check`.
bench-backup: bench $(BUILD)/bench/loadgen
	BUILD=$(BUILD) sh bench/backup.sh

# Head office (issue 19): 1,000 branches' relays, a day of 3,000 tickets
# each, through pgbouncer into one PostgreSQL 15 started for the run:
# catch-up after a day down, COPY of the same rows beside it, bytes, the
# head-office queries with EXPLAIN, live lag (about 30 minutes;
# docs/PERFORMANCE.md "Head office").
bench-hq: bench $(BUILD)/bench/hq-sim
	BUILD=$(BUILD) sh bench/hq-sim.sh

# The same for 20 branches of 300 tickets, in about a minute, checked: every
# event at head office exactly once, in order, with no gap, COPY the same.
bench-hq-smoke: bench $(BUILD)/bench/hq-sim
	BUILD=$(BUILD) BRANCHES=20 TICKETS=300 COMPLAINTS=6 REGIONS=4 RETRY_MAX=2 \
	    DOWN_FAILURES=2 RUNS=1 LIVE_RATE=5 LIVE_SECONDS=5 LIVE_SECONDS2=0 CHECK=1 \
	    PG_SHARED_BUFFERS=128MB PG_MAX_WAL_SIZE=1GB OUT=$(BUILD)/bench/hq-smoke.txt \
	    sh bench/hq-sim.sh

# The load benchmark (issue 6): bare loop, branchqd, Redis; see docs/PERFORMANCE.md.
bench-load: all $(BUILD)/bench/loadgen $(BUILD)/bench/bareloop
	BUILD=$(BUILD) sh bench/load.sh

# The HTTP benchmark (issue 16): ticket.issue over HTTP/1.1 beside the line
# protocol, an event fanned out to 200 streams, 1,000 idle streams; see
# docs/PERFORMANCE.md (about 2.5 minutes).
bench-http: all $(BUILD)/bench/loadgen $(BUILD)/bench/httpgen
	BUILD=$(BUILD) sh bench/http.sh

# The same in a few seconds: fails on a failed request or a missed event, never on a figure.
bench-http-smoke: all $(BUILD)/bench/loadgen $(BUILD)/bench/httpgen
	BUILD=$(BUILD) ROUNDS=1 FANOUT_ROUNDS=1 IDLE_ROUNDS=1 DURATION=0.5 WARMUP=0.2 CONNS=8 \
	    STREAMS=20 CALLS=5 IDLE=50 PORT=17494 OUT=$(BUILD)/bench/http-smoke.txt sh bench/http.sh

# How long a SIGHUP reload holds the loop, with 10,000 signed-in connections
# beside none (issue 18; docs/PERFORMANCE.md "Reload").
bench-reload: all $(BUILD)/bench/loadgen
	BUILD=$(BUILD) sh bench/reload.sh

# GET /metrics beside GET /healthz on a loaded daemon (issue 18); see docs/PERFORMANCE.md.
bench-metrics: all $(BUILD)/bench/httpgen
	BUILD=$(BUILD) sh bench/metrics.sh

# What the head-office event log costs a change (issue 19): the same daemon with
# and without sql/014's triggers, alternating; see docs/PERFORMANCE.md.
bench-eventlog: all $(BUILD)/bench/loadgen
	BUILD=$(BUILD) sh bench/eventlog.sh

# Instructions per request under callgrind (machine-independent); see docs/PERFORMANCE.md.
bench-profile: all $(BUILD)/bench/loadgen
	BUILD=$(BUILD) sh bench/profile.sh

# The same, for a second at small scale: CI runs it so the benchmark cannot rot.
bench-smoke: all $(BUILD)/bench/loadgen $(BUILD)/bench/bareloop $(BUILD)/bench/httpgen
	BUILD=$(BUILD) DURATION=1 WARMUP=0.2 CONNS=16 IDLE=100 PORT=17499 sh bench/load.sh
	BUILD=$(BUILD) COUNT=400 CONNS=16 TOP=5 PORT=17497 sh bench/profile.sh
	$(MAKE) BUILD=$(BUILD) bench-reports-smoke
	$(MAKE) BUILD=$(BUILD) bench-http-smoke
	BUILD=$(BUILD) ROUNDS=1 DURATION=0.5 WARMUP=0.2 PORT=17441 sh bench/eventlog.sh
	BUILD=$(BUILD) IDLE=100 RUNS=2 PORT=17495 sh bench/reload.sh
	BUILD=$(BUILD) TICKETS=200 COUNT=100 ROUNDS=1 STREAMS=5 IDLE=5 PORT=17488 sh bench/metrics.sh
	$(MAKE) BUILD=$(BUILD) bench-hq-smoke

# ---- the Debian package (issue 18; debian/, docs/OPERATIONS.md "Install") ----
# Built from a copy of the working tree's files (tracked, and new ones git
# does not ignore) in build/deb/branchq-VERSION/: dpkg-buildpackage cleans
# its tree and writes into the parent directory, and must do neither to the
# checkout.  The package lands in build/.
DEB_VERSION = $(shell dpkg-parsechangelog -l debian/changelog -S Version 2>/dev/null)
DEB_ARCH    = $(shell dpkg --print-architecture 2>/dev/null)
DEB_FILE    = build/branchq_$(DEB_VERSION)_$(DEB_ARCH).deb
DEB_TREE    = build/deb/branchq-$(DEB_VERSION)
DEB_JOBS   ?= 2
deb:
	@command -v dpkg-buildpackage >/dev/null 2>&1 || { echo "dpkg-buildpackage is missing: apt-get install dpkg-dev debhelper (sh .ci/deps installs them)" >&2; exit 2; }
	@git rev-parse --is-inside-work-tree >/dev/null 2>&1 || { echo "make deb: not a git checkout (it packages the files git knows)" >&2; exit 2; }
	rm -rf build/deb && mkdir -p $(DEB_TREE)
	git ls-files -z --cached --others --exclude-standard | \
	    xargs -0 sh -c 'for f; do [ -e "$$f" ] && printf "%s\0" "$$f"; done; true' sh | \
	    tar --null -T - -cf - | tar -xf - -C $(DEB_TREE)
	cd $(DEB_TREE) && dpkg-buildpackage -b -us -uc -J$(DEB_JOBS)
	cp build/deb/branchq_$(DEB_VERSION)_$(DEB_ARCH).deb $(DEB_FILE)
	@echo "built $(DEB_FILE)"

# The package built, linted, installed, run, removed and purged: as root,
# on a machine where installing the package branchq is acceptable (CI).
check-deb:
	sh tests/deb/run.sh

clean:
	rm -rf build

.PHONY: deb check-deb check-web screenshots all tests test valgrind check clean layers check-man bench-load bench-profile bench-smoke fuzz fuzz-run fuzz-regress \
	fuzz-proto fuzz-http fuzz-config \
	bench bench-reports bench-reports-smoke bench-http bench-http-smoke bench-reload bench-metrics bench-backup \
	bench-hq bench-hq-smoke
.SECONDARY:
