// neurice Verilator harness: drives the verilated core (class `Vcore`, built with
// `verilator --prefix Vcore`) cycle by cycle with the same handshake pattern as the
// rust-hdl engine of neurice-sim, and writes every output word and counter to a file.
//
//   Vcore STIMULUS_FILE RESULT_FILE        (STIMULUS_FILE "-" = stdin)
//
// ## Stimulus file (little-endian)
//   magic      8 bytes  "NRSTIM01"
//   runs       u32
//   per run:
//     channels              u32  (1..=1024; sample i goes to channel i % channels)
//     input_gap_per_mille   u32
//     backpressure_per_mille u32
//     flags                 u32  (must be 0)
//     seed                  u64  (xorshift64 state = max(seed, 1))
//     sample_count          u64
//     samples               u16 × sample_count (10-bit grid indices)
//
// ## Result file (little-endian)
//   magic      8 bytes  "NRRES003"
//   runs       u32
//   per run:
//     status        u32  (0 ok, 1 no progress while feeding, 2 flush did not reach idle)
//     lanes         u32  (samples per input transfer of the verilated core: 1, or 2 for the
//                         2-lane core, found from its ports at compile time)
//     cycles        u64  (clock edges until idle was seen with flush high)
//     stall_cycles  u64  (in_valid high and in_ready low at the edge)
//     samples_taken u64
//     flush_cycles  u64  (cycles with flush high, included in `cycles`)
//     extra_words   u64  (words offered in 8 cycles after idle; included in words, not in cycles)
//     sim_nanos     u64  (wall time of this run's simulation loop, model construction included)
//     word_count    u64
//     words         u32 × word_count (in the order taken)
//     end_count     u64
//     ends          u64 × end_count (indices of the words taken with `out_end` high: a
//                         packet's last word, for a core with that port; else with
//                         `out_last` high; 0 ends for a core with neither)
//     tag_count     u64  (word_count for a core with `out_bytes`, else 0)
//     tags          u8 × tag_count (per word taken: bit 0 `out_stream` (0 for a core without
//                         it: the coder-max core's substream), bits 3..1 `out_bytes`)
//
// ## One cycle (identical to the rust-hdl engine)
//   1. gap = xorshift() % 1000 < input_gap_per_mille; bp = xorshift() % 1000 < backpressure
//      (two draws EVERY cycle, also during the flush, where the first draw is unused);
//   2. with the clock low: in_valid = !gap (while samples remain), in_channel = next % channels,
//      in_sample = samples[next] (held at the next sample's value even when in_valid is low);
//      for the 2-lane core (ports in_pair, in_sample0, in_sample1) a transfer is the channel
//      pair: in_pair = (next % channels) / 2, in_sample0/1 = samples[next], samples[next + 1],
//      and a transfer taken advances next by 2 (channels and sample count must be even),
//      out_ready = !bp, flush = 0 (1 once all samples are taken); eval();
//   3. sample the handshakes as the design sees them at the edge: in_valid && in_ready →
//      sample taken, out_valid && out_ready → out_word taken; in_valid && !in_ready → stall;
//      during the flush: if idle (and !out_valid) the run ends here, without this edge;
//   4. clock high, eval(); cycles += 1.
// A fresh model (new VerilatedContext) is built for every run, so every run starts from the
// design's `initial` state (the all-zero channel-state RAM).
//
// ## Optional VCD trace (only when compiled with -DNEURICE_TRACE and verilated with --trace)
//   NEURICE_VCD=<path>        write a VCD of the FIRST run of the stimulus file to <path>;
//   NEURICE_VCD_FROM=<n>      first traced cycle (default 0);
//   NEURICE_VCD_CYCLES=<n>    number of traced clock edges (default: all).
// Cycles are counted over the whole run (feeding, flush and the 8 cycles after idle); cycle c
// is "inputs applied with the clock low, then the rising edge". The trace holds the low phase
// of cycles from .. from+n (inclusive: the settling after the n-th edge is part of it) at
// time 2c, and the n rising edges at time 2c+1, so the first dump is the initial snapshot
// and every later change belongs to one of the n traced cycles. Without NEURICE_TRACE the
// variables are ignored and the harness is exactly the untraced one.
//
// stdout: "progress N" (samples taken so far in this process, all runs) every 2^20 cycles and
// at the end of each run. Exit status: 0 all runs ok, 3 some run failed (status written),
// 1 internal error (message on stderr).

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "Vcore.h"
#include "verilated.h"
#ifdef NEURICE_TRACE
#include "verilated_vcd_c.h"
#endif

namespace {

// Cycles without any handshake while samples remain before the run is declared stuck.
constexpr uint64_t kNoProgressCap = 1u << 20;
// Flush cycles allowed before idle must be seen.
constexpr uint64_t kFlushCap = 1u << 20;
// Cycles after idle in which any offered word is recorded as an extra word.
constexpr int kAfterIdleCycles = 8;

[[noreturn]] void die(const std::string& msg) {
    std::fprintf(stderr, "neurice-harness: %s\n", msg.c_str());
    std::exit(1);
}

struct Reader {
    FILE* f;
    const char* name;
    void bytes(void* p, size_t n) {
        if (n && std::fread(p, 1, n, f) != n) die(std::string(name) + ": truncated stimulus file");
    }
    uint32_t u32() {
        unsigned char b[4];
        bytes(b, 4);
        return uint32_t(b[0]) | uint32_t(b[1]) << 8 | uint32_t(b[2]) << 16 | uint32_t(b[3]) << 24;
    }
    uint64_t u64() {
        uint64_t lo = u32();
        uint64_t hi = u32();
        return lo | hi << 32;
    }
};

struct Writer {
    FILE* f;
    const char* name;
    void bytes(const void* p, size_t n) {
        if (n && std::fwrite(p, 1, n, f) != n)
            die(std::string(name) + ": write failed: " + std::strerror(errno));
    }
    void u32(uint32_t v) {
        unsigned char b[4] = {uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)};
        bytes(b, 4);
    }
    void u64(uint64_t v) {
        u32(uint32_t(v));
        u32(uint32_t(v >> 32));
    }
};

struct Run {
    uint32_t channels, gap, bp;
    uint64_t seed;
    std::vector<uint16_t> samples;
};

struct Result {
    uint32_t status = 0;
    uint64_t cycles = 0, stall_cycles = 0, samples_taken = 0, flush_cycles = 0, extra_words = 0;
    uint64_t sim_nanos = 0;
    std::vector<uint32_t> words;
    std::vector<uint64_t> ends;
    std::vector<uint8_t> tags;
};

uint64_t g_progress = 0;  // samples taken in this process

// The input transfer of the core: the 2-lane core (ports in_pair, in_sample0, in_sample1)
// takes a channel pair, the 1-lane core (in_channel, in_sample) one sample. Chosen at compile
// time from the verilated class's members.
template <typename T>
constexpr auto lanes_of(int) -> decltype(std::declval<T&>().in_sample1, 0u) {
    return 2;
}
template <typename T>
constexpr unsigned lanes_of(long) {
    return 1;
}
constexpr unsigned kLanes = lanes_of<Vcore>(0);

template <typename T>
auto drive_input(T* top, uint32_t channel, const uint16_t* s, int)
    -> decltype(top->in_sample1 = 0, void()) {
    top->in_pair = channel >> 1;
    top->in_sample0 = s[0];
    top->in_sample1 = s[1];
}
template <typename T>
void drive_input(T* top, uint32_t channel, const uint16_t* s, long) {
    top->in_channel = channel;
    top->in_sample = s[0];
}

// The end flag of the word on out_word: the packet cores' `out_end` (a packet's last word);
// for a core without it `out_last` (coder lite's segment end with restarts, coder max's last
// word of a substream in a block, the event core's segment end); the 2-lane core has neither
// (chosen at compile time, as the input transfer).
template <typename T>
auto last_of(T* top, int) -> decltype(top->out_last, bool()) {
    return top->out_last;
}
template <typename T>
bool last_of(T*, long) {
    return false;
}
template <typename T>
auto end_of(T* top, int) -> decltype(top->out_end, bool()) {
    return top->out_end;
}
template <typename T>
bool end_of(T* top, long) {
    return last_of(top, 0);
}

// The tag of the word on out_word (see the result file): `out_stream` and `out_bytes` of a
// core with them (the coder-max core); cores without `out_bytes` (coder lite's, the packet
// cores, the event core) write no tags.
template <typename T>
auto stream_of(T* top, int) -> decltype(top->out_stream, uint8_t()) {
    return top->out_stream & 1;
}
template <typename T>
uint8_t stream_of(T*, long) {
    return 0;
}
template <typename T>
constexpr auto has_bytes(int) -> decltype(std::declval<T&>().out_bytes, true) {
    return true;
}
template <typename T>
constexpr bool has_bytes(long) {
    return false;
}
constexpr bool kTags = has_bytes<Vcore>(0);
template <typename T>
auto bytes_of(T* top, int) -> decltype(top->out_bytes, uint8_t()) {
    return top->out_bytes & 7;
}
template <typename T>
uint8_t bytes_of(T*, long) {
    return 0;
}
template <typename T>
uint8_t tag_of(T* top) {
    return uint8_t(stream_of(top, 0) | bytes_of(top, 0) << 1);
}

#ifdef NEURICE_TRACE
uint64_t env_u64(const char* name, uint64_t dflt) {
    const char* v = std::getenv(name);
    if (!v || !*v) return dflt;
    char* end = nullptr;
    errno = 0;
    const unsigned long long x = std::strtoull(v, &end, 10);
    if (errno || *end || *v == '-') die(std::string(name) + ": not a cycle count: " + v);
    return x;
}

// The VCD of one run, limited to a window of cycles (see the file header).
class Tracer {
  public:
    // Armed for the first run only, when NEURICE_VCD is set.
    Tracer(VerilatedContext* ctx, bool first_run) {
        const char* p = std::getenv("NEURICE_VCD");
        if (!first_run || !p || !*p) return;
        path_ = p;
        from_ = env_u64("NEURICE_VCD_FROM", 0);
        count_ = env_u64("NEURICE_VCD_CYCLES", UINT64_MAX);
        ctx->traceEverOn(true);
    }
    void attach(Vcore* top) {
        if (path_.empty()) return;
        vcd_ = std::make_unique<VerilatedVcdC>();
        top->trace(vcd_.get(), 99);
        vcd_->open(path_.c_str());
        if (!vcd_->isOpen()) die(path_ + ": cannot open the VCD file");
    }
    // After the low-phase eval of cycle c.
    void low(uint64_t c) {
        if (vcd_ && c >= from_ && c - from_ <= count_) vcd_->dump(2 * c);
    }
    // After the rising-edge eval of cycle c.
    void high(uint64_t c) {
        if (vcd_ && c >= from_ && c - from_ < count_) vcd_->dump(2 * c + 1);
    }
    // Before the model is destroyed.
    void close() {
        if (vcd_) vcd_->close();
        vcd_.reset();
    }

  private:
    std::string path_;
    uint64_t from_ = 0, count_ = 0;
    std::unique_ptr<VerilatedVcdC> vcd_;
};
#else
// Tracing compiled out: no-ops.
struct Tracer {
    Tracer(VerilatedContext*, bool) {}
    void attach(Vcore*) {}
    void low(uint64_t) {}
    void high(uint64_t) {}
    void close() {}
};
#endif

void report_progress(uint64_t current_run_taken) {
    std::printf("progress %llu\n", (unsigned long long)(g_progress + current_run_taken));
    std::fflush(stdout);
}

Result simulate(const Run& run, bool first_run) {
    Result r;
    auto ctx = std::make_unique<VerilatedContext>();
    ctx->randReset(0);
    Tracer tracer(ctx.get(), first_run);
    auto top = std::make_unique<Vcore>(ctx.get(), "core");
    tracer.attach(top.get());
    struct CloseTrace {  // declared after `top`: closes the VCD before the model goes
        Tracer& t;
        ~CloseTrace() { t.close(); }
    } close_trace{tracer};
    uint64_t tc = 0;  // clock edges of this run, after-idle cycles included (trace time base)

    uint64_t x = run.seed ? run.seed : 1;
    auto draw = [&x]() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return x;
    };
    const uint64_t n = run.samples.size();
    const uint16_t* s = run.samples.data();
    r.words.reserve(n / 4 + 16);

    const uint16_t zeros[2] = {0, 0};
    top->clock = 0;
    top->in_valid = 0;
    drive_input(top.get(), 0, zeros, 0);
    top->flush = 0;
    top->clear = 0;
    top->out_ready = 0;
    top->eval();

    uint64_t next = 0;
    uint32_t channel = 0;
    uint64_t quiet = 0;  // cycles since the last handshake
    while (next < n) {
        const bool gap = draw() % 1000 < run.gap;
        const bool bp = draw() % 1000 < run.bp;
        top->clock = 0;
        top->in_valid = !gap;
        drive_input(top.get(), channel, s + next, 0);
        top->out_ready = !bp;
        top->flush = 0;
        top->eval();
        tracer.low(tc);
        const bool in_take = top->in_valid && top->in_ready;
        const bool out_take = top->out_valid && top->out_ready;
        const uint32_t w = top->out_word;
        if (out_take && end_of(top.get(), 0)) r.ends.push_back(r.words.size());
        if (out_take && kTags) r.tags.push_back(tag_of(top.get()));
        if (top->in_valid && !top->in_ready) r.stall_cycles++;
        top->clock = 1;
        top->eval();
        tracer.high(tc++);
        r.cycles++;
        if (out_take) r.words.push_back(w);
        if (in_take) {
            next += kLanes;
            channel += kLanes;
            if (channel == run.channels) channel = 0;
        }
        if (in_take || out_take) {
            quiet = 0;
        } else if (++quiet > kNoProgressCap) {
            r.status = 1;
            r.samples_taken = next;
            return r;
        }
        if ((r.cycles & ((1u << 20) - 1)) == 0) report_progress(next);
    }
    r.samples_taken = next;

    for (;;) {
        (void)draw();  // the input-gap draw: unused while flushing, kept for the sequence
        const bool bp = draw() % 1000 < run.bp;
        top->clock = 0;
        top->in_valid = 0;
        top->out_ready = !bp;
        top->flush = 1;
        top->eval();
        tracer.low(tc);
        if (top->idle && !top->out_valid) break;
        if (r.flush_cycles >= kFlushCap) {
            r.status = 2;
            return r;
        }
        const bool out_take = top->out_valid && top->out_ready;
        const uint32_t w = top->out_word;
        if (out_take && end_of(top.get(), 0)) r.ends.push_back(r.words.size());
        if (out_take && kTags) r.tags.push_back(tag_of(top.get()));
        top->clock = 1;
        top->eval();
        tracer.high(tc++);
        r.cycles++;
        r.flush_cycles++;
        if (out_take) r.words.push_back(w);
    }

    // After idle: flush low, sink always ready; any word offered now is a bug, kept so the
    // comparison with the golden model reports it.
    for (int i = 0; i < kAfterIdleCycles; i++) {
        top->clock = 0;
        top->in_valid = 0;
        top->out_ready = 1;
        top->flush = 0;
        top->eval();
        if (i > 0) tracer.low(tc);  // i == 0: the low phase already traced by the flush loop
        const bool out_take = top->out_valid && top->out_ready;
        const uint32_t w = top->out_word;
        if (out_take && end_of(top.get(), 0)) r.ends.push_back(r.words.size());
        if (out_take && kTags) r.tags.push_back(tag_of(top.get()));
        top->clock = 1;
        top->eval();
        tracer.high(tc++);
        if (out_take) {
            r.words.push_back(w);
            r.extra_words++;
        }
    }
    top->final();
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) die("usage: Vcore STIMULUS_FILE RESULT_FILE");
    const bool from_stdin = std::strcmp(argv[1], "-") == 0;
    FILE* in = from_stdin ? stdin : std::fopen(argv[1], "rb");
    if (!in) die(std::string(argv[1]) + ": " + std::strerror(errno));
    FILE* out = std::fopen(argv[2], "wb");
    if (!out) die(std::string(argv[2]) + ": " + std::strerror(errno));
    Reader rd{in, argv[1]};
    Writer wr{out, argv[2]};

    char magic[8];
    rd.bytes(magic, 8);
    if (std::memcmp(magic, "NRSTIM01", 8) != 0) die(std::string(argv[1]) + ": bad magic");
    const uint32_t runs = rd.u32();
    wr.bytes("NRRES003", 8);
    wr.u32(runs);

    bool failed = false;
    for (uint32_t i = 0; i < runs; i++) {
        Run run;
        run.channels = rd.u32();
        run.gap = rd.u32();
        run.bp = rd.u32();
        const uint32_t flags = rd.u32();
        run.seed = rd.u64();
        const uint64_t count = rd.u64();
        if (run.channels < 1 || run.channels > 1024)
            die("run " + std::to_string(i) + ": channels must be 1..=1024");
        if (flags != 0) die("run " + std::to_string(i) + ": unknown flags");
        if (count > (uint64_t(1) << 36)) die("run " + std::to_string(i) + ": sample count too large");
        run.samples.resize(count);
        rd.bytes(run.samples.data(), count * 2);  // little-endian host assumed (x86/ARM)
        for (uint64_t k = 0; k < count; k++)
            if (run.samples[k] > 1023)
                die("run " + std::to_string(i) + ": sample " + std::to_string(k) + " exceeds 10 bits");
        if (kLanes == 2 && (run.channels % 2 != 0 || count % 2 != 0))
            die("run " + std::to_string(i) + ": the 2-lane core takes channel pairs: the channel count (" +
                std::to_string(run.channels) + ") and the sample count (" + std::to_string(count) +
                ") must be even");
        if (run.gap >= 1000 || run.bp >= 1000)
            die("run " + std::to_string(i) + ": per-mille values must be below 1000 (1000 would never offer a sample or take a word)");

        const auto t0 = std::chrono::steady_clock::now();
        Result r = simulate(run, i == 0);
        r.sim_nanos = uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now() - t0)
                                   .count());
        failed |= r.status != 0;
        wr.u32(r.status);
        wr.u32(kLanes);
        wr.u64(r.cycles);
        wr.u64(r.stall_cycles);
        wr.u64(r.samples_taken);
        wr.u64(r.flush_cycles);
        wr.u64(r.extra_words);
        wr.u64(r.sim_nanos);
        wr.u64(r.words.size());
        wr.bytes(r.words.data(), r.words.size() * 4);  // little-endian host assumed
        wr.u64(r.ends.size());
        for (const uint64_t e : r.ends) wr.u64(e);
        wr.u64(r.tags.size());
        wr.bytes(r.tags.data(), r.tags.size());
        g_progress += r.samples_taken;
        report_progress(0);
    }
    if (std::fclose(out) != 0) die(std::string(argv[2]) + ": close failed");
    if (!from_stdin) std::fclose(in);
    return failed ? 3 : 0;
}
