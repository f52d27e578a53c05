//! The core as open hardware IP (issue 29): what `neurice verilog` writes beside the core's
//! Verilog so that it drops into another design.
//!
//! * [`fusesoc_core`]: a FuseSoC core description (CAPI2): the Verilog file and the lint
//!   waivers, the top module, a `lint` target (Verilator `--lint-only -Wall`, the waivers of
//!   `sim/harness/lint.vlt`) and a `default` target for the user's own flow.
//! * [`ports`] / [`ports_markdown`] / [`PortTable`] (JSON): the port table read from the
//!   emitted Verilog's top module (name, direction, width) with each port's protocol and the
//!   design's latency.
//! * [`cocotb_testbench`] / [`cocotb_makefile`]: a cocotb testbench that drives the emitted
//!   core with the known-answer vector `multi` (`golden-model/tests/vectors/multi.txt`:
//!   3 channels × 200 frames of edge cases) and checks every word against the golden model's
//!   (for the hardware coder `lite` these are the vector's frozen words).
//!
//! The port list comes from the Verilog text itself, so a port added to a core appears in the
//! table; a port this module has no description for is an error (never a silent gap).

use anyhow::{bail, Context, Result};
use neurice_model::CoderSpec;
use serde::Serialize;

use crate::{golden, CoreDesign, Shape, Stimulus};

/// One port of the emitted core's top module.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Port {
    pub name: String,
    /// `in` or `out`.
    pub direction: String,
    /// Bits.
    pub width: u32,
    /// Which handshake or role it belongs to and what it carries.
    pub protocol: String,
    /// Latency or timing of this port (empty when there is nothing to say).
    pub latency: String,
}

/// The port table as written to `ports.json`.
#[derive(Clone, Debug, Serialize)]
pub struct PortTable {
    pub top: String,
    /// The design (coder with parameters, channels, lanes, packets).
    pub design: CoreDesign,
    /// From a sample taken to its code on `out_word`, in clocks.
    pub latency: String,
    /// Samples per clock the core takes at most.
    pub throughput: String,
    pub ports: Vec<Port>,
}

/// The top module's name in the emitted Verilog.
pub const TOP: &str = "top";

/// The ports of the top module `top` of `verilog`, in their order, with their protocol and
/// latency for `design`.
pub fn ports(design: &CoreDesign, verilog: &str) -> Result<Vec<Port>> {
    let start = verilog
        .find(&format!("module {TOP}("))
        .with_context(|| format!("no `module {TOP}(` in the Verilog"))?;
    let body = &verilog[start..];
    let body = &body[..body.find("endmodule").context("no endmodule")?];
    let mut out = Vec::new();
    for line in body.lines().map(str::trim) {
        let direction = if line.starts_with("input ") {
            "in"
        } else if line.starts_with("output ") {
            "out"
        } else {
            continue;
        };
        let decl = line.trim_end_matches(';');
        let name = decl
            .split_whitespace()
            .last()
            .context("a port declaration without a name")?
            .to_string();
        let width = match (decl.find('['), decl.find(']')) {
            (Some(a), Some(b)) if a < b => {
                let (hi, lo) = decl[a + 1..b]
                    .split_once(':')
                    .with_context(|| format!("port {name}: range {}", &decl[a..=b]))?;
                let hi: u32 = hi.trim().parse().with_context(|| format!("port {name}"))?;
                let lo: u32 = lo.trim().parse().with_context(|| format!("port {name}"))?;
                hi - lo + 1
            }
            _ => 1,
        };
        let (protocol, latency) = describe(design, &name)?;
        out.push(Port {
            name,
            direction: direction.to_string(),
            width,
            protocol,
            latency,
        });
    }
    if out.is_empty() {
        bail!("the top module `{TOP}` declares no ports");
    }
    Ok(out)
}

/// From a sample taken to its code on `out_word` and the throughput, for the design (the
/// figures the simulation tests check cycle by cycle, named with them).
pub fn latency(design: &CoreDesign) -> (String, String) {
    match (design.coder(), design.shape()) {
        (CoderSpec::Lite(_), Shape::OneLane) => (
            "10 clocks: a sample taken at edge 0 is in the word on `out_word` after edge 10 when \
             its code completes one and the output is not blocked (checked cycle by cycle by \
             sim/tests/rusthdl.rs `latency_a_word_leaves_10_clocks_after_its_last_sample`)"
                .into(),
            "1 sample per clock while `out_ready` is high".into(),
        ),
        (CoderSpec::Lite(_), Shape::TwoLanes) => (
            "11 clocks: a pair taken at edge 0 is in the word on `out_word` after edge 11 when \
             the output FIFO was empty (checked cycle by cycle by sim/tests/lanes.rs \
             `latency_and_fifo_are_exact_cycle_by_cycle`)"
                .into(),
            "2 samples (a channel pair) per clock".into(),
        ),
        (CoderSpec::Lite(_), Shape::Packets(pk)) => (
            format!(
                "a packet leaves once it is full ({} bytes) or its segment ({} frames) ends: \
                 the core's words are buffered in the packetiser's ring; the header word leaves \
                 3 clocks after the packet closes (hdl/src/packetiser.rs)",
                pk.packet_bytes, pk.segment_frames
            ),
            "1 sample per clock while the ring has room".into(),
        ),
        (CoderSpec::Max(_), Shape::Packets(pk)) => (
            format!(
                "a packet leaves once it is full ({} bytes) or its substream's segment ({} \
                 frames) ends: each substream's words are buffered in its own ring; the header \
                 word leaves 3 clocks after the packet closes and is taken by the sender \
                 (hdl/src/packetiser.rs, hdl/src/max/packets.rs)",
                pk.packet_bytes, pk.segment_frames
            ),
            "1 sample per clock from 4 channels on while the rings have room, plus the \
             pipeline's drain once per segment"
                .into(),
        ),
        (CoderSpec::Max(_), _) => (
            "a sample taken at edge 0 has its raw bits in the raw packer after edge 6 and its \
             token bytes in the token packer after edge 11; a word leaves once it holds 4 bytes \
             of its substream (data-dependent; hdl/src/max/mod.rs)"
                .into(),
            "1 sample per clock from 4 channels on (the same-channel rule below: 1, 2 and 3 \
             channels take 4, 2 and 4/3 clocks per sample; checked by sim/tests/max_core.rs \
             and sim/tests/max_engines.rs)"
                .into(),
        ),
        (CoderSpec::V2(_), _) => unreachable!("CoreDesign::new refuses coder v2 (core retired)"),
    }
}

/// A port's protocol and latency in `design`.
fn describe(design: &CoreDesign, name: &str) -> Result<(String, String)> {
    let input =
        "input handshake: a transfer is taken at a rising edge where `in_valid && in_ready`";
    let output =
        "output handshake: a word is taken at a rising edge where `out_valid && out_ready`";
    let (lat, _) = latency(design);
    let s = |p: &str, l: &str| Ok((p.to_string(), l.to_string()));
    match name {
        "clock" => s("the only clock; every register and RAM use its rising edge; no reset (registers and RAMs start at zero, as after FPGA configuration; `clear` returns to that state)", ""),
        "in_valid" => s(input, ""),
        "in_ready" => s(&format!("{input}; combinational (from registers and `flush`/`clear`)"), "combinational"),
        "in_channel" => s("channel of the sample (with `in_valid`); channels in round-robin order 0 .. channels-1", ""),
        "in_sample" => s("the 10-bit grid index of the sample (with `in_valid`)", ""),
        "in_pair" => s("channel pair of the transfer (with `in_valid`): channels 2·in_pair and 2·in_pair+1", ""),
        "in_sample0" => s("sample of the even channel 2·in_pair (with `in_valid`)", ""),
        "in_sample1" => s("sample of the odd channel 2·in_pair+1 (with `in_valid`)", ""),
        "flush" => s("level: end of the stream, held (with `in_valid` low) until `idle`; the core drains and emits its last, zero-padded word", ""),
        "clear" => s("level: start a new stream; no sample is taken; held until `idle` is back; never together with `flush`", "2^C clocks of state reset (C = channel address bits)"),
        "idle" => s("status: no sample in flight, no bits pending, no word waiting", ""),
        "out_valid" => s(output, ""),
        "out_ready" => s(output, ""),
        "out_word" => s(match design.coder() {
            CoderSpec::Lite(_) => match design.shape() {
                Shape::Packets(_) => "packet words, big-endian fields (golden-model/FORMAT.md §9)",
                Shape::OneLane | Shape::TwoLanes => "codes packed MSB first (golden-model/FORMAT.md), with `out_valid`",
            },
            CoderSpec::V2(_) => unreachable!("CoreDesign::new refuses coder v2 (core retired)"),
            CoderSpec::Max(_) => "four bytes of one of the block's two substreams, first in [31:24], the substream on `out_stream` (FORMAT.md §10.10), with `out_valid`",
        }, &lat),
        "out_last" => s(match design.coder() {
            CoderSpec::Max(_) => "with `out_valid`: the word is the last of its substream in the block (each of the two substreams ends with one)",
            CoderSpec::Lite(_) | CoderSpec::V2(_) => "with `out_valid`: the word is the last of its segment (the final word of a flush)",
        }, ""),
        "out_stream" => s("with `out_valid`: the word's substream, 0 the token substream (the range coder's bytes), 1 the raw bits (FORMAT.md §10.10)", ""),
        "out_bytes" => s("with `out_valid`: valid bytes of the word (1..=4 from bit 31 down; 4 except on the last word)", ""),
        "out_end" => s("with `out_valid`: the word is its packet's last (CRC) word", ""),
        other => bail!("port `{other}` of the emitted core has no description in neurice_sim::ip"),
    }
}

/// The port table of `design` (with its Verilog `verilog`).
pub fn port_table(design: &CoreDesign, verilog: &str) -> Result<PortTable> {
    let (latency, throughput) = latency(design);
    Ok(PortTable {
        top: TOP.to_string(),
        design: *design,
        latency,
        throughput,
        ports: ports(design, verilog)?,
    })
}

/// The port table as Markdown.
pub fn ports_markdown(t: &PortTable) -> String {
    let d = &t.design;
    let mut s = format!(
        "# neurice core ports (top module `{}`)\n\n\
         Coder `{}`, {} channels of state, {} lane(s){}. Written by `neurice verilog` from the \
         emitted Verilog (`neurice_core.v`); the same table as `ports.json`.\n\n\
         - **Latency:** {}\n- **Throughput:** {}\n\n\
         | name | direction | width | protocol | latency |\n|---|---|---|---|---|\n",
        t.top,
        d.kind(),
        d.channels(),
        d.lanes(),
        match d.packets() {
            Some(p) => format!(
                ", packets ({} frames per segment, {} bytes per packet)",
                p.segment_frames, p.packet_bytes
            ),
            None => String::new(),
        },
        t.latency,
        t.throughput
    );
    for p in &t.ports {
        s.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            p.name,
            p.direction,
            p.width,
            p.protocol.replace('|', "\\|"),
            if p.latency.is_empty() {
                "—"
            } else {
                &p.latency
            }
        ));
    }
    s
}

/// The FuseSoC core's name (VLNV) for `design`.
pub fn core_name(design: &CoreDesign) -> String {
    let shape = match design.shape() {
        Shape::OneLane => String::new(),
        Shape::TwoLanes => "_2lanes".into(),
        Shape::Packets(_) => "_packets".into(),
    };
    format!(
        "neurice:ip:core_{}{shape}_{}ch:{}",
        design.kind(),
        design.channels(),
        env!("CARGO_PKG_VERSION")
    )
}

/// The FuseSoC CAPI2 core description of `design`: `files` (the core's Verilog), the lint
/// waivers `vlt` (both relative to the `.core` file), the top, a `lint` target and a
/// `default` one.
pub fn fusesoc_core(design: &CoreDesign, verilog_file: &str, vlt_file: &str) -> String {
    format!(
        "CAPI=2:\n\
         # FuseSoC core description of the neurice compression core, written by `neurice verilog`.\n\
         # Lint:  fusesoc --cores-root . run --target lint {name}\n\
         name: {name}\n\
         description: \"neurice lossless compression core for neural recordings: coder {coder}, {ch} channels, {lanes} lane(s); ports in ports.md\"\n\
         \n\
         filesets:\n\
         \x20 rtl:\n\
         \x20   files:\n\
         \x20     - {verilog_file}\n\
         \x20   file_type: verilogSource\n\
         \x20 waivers:\n\
         \x20   files:\n\
         \x20     - {vlt_file}\n\
         \x20   file_type: vlt\n\
         \n\
         targets:\n\
         \x20 default:\n\
         \x20   filesets: [rtl]\n\
         \x20   toplevel: {TOP}\n\
         \x20 lint:\n\
         \x20   default_tool: verilator\n\
         \x20   filesets: [waivers, rtl]\n\
         \x20   toplevel: {TOP}\n\
         \x20   tools:\n\
         \x20     verilator:\n\
         \x20       mode: lint-only\n\
         \x20       verilator_options: [-Wall, --no-timing]\n",
        name = core_name(design),
        coder = design.kind(),
        ch = design.channels(),
        lanes = design.lanes(),
    )
}

/// The known-answer vector `multi` (the frozen file, built into the binary).
const MULTI: &str = include_str!("../../golden-model/tests/vectors/multi.txt");

/// The testbench's input: the vector `multi`'s grid indices (3 channels × 200 frames) and the
/// golden model's words for `design`'s coder. `None` for the packet core (its testbench would
/// need the packet stream; `neurice sim --packets` checks it).
pub fn known_answer(design: &CoreDesign) -> Result<Option<Stimulus>> {
    match design.shape() {
        Shape::Packets(_) => return Ok(None),
        Shape::OneLane | Shape::TwoLanes => {}
    }
    let mut channels = None;
    let mut samples: Vec<i16> = Vec::new();
    let mut in_samples = false;
    for line in MULTI.lines().map(str::trim) {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        if line.starts_with('[') {
            in_samples = line == "[wav_samples]";
            continue;
        }
        if in_samples {
            for v in line.split_whitespace() {
                samples.push(v.parse().context("vector multi: a sample value")?);
            }
        } else if let Some(c) = line.strip_prefix("channels ") {
            channels = Some(
                c.trim()
                    .parse::<usize>()
                    .context("vector multi: channels")?,
            );
        }
    }
    let channels = channels.context("vector multi: no channel count")?;
    let (idx, _) = neurice_model::grid::to_grid(&samples);
    let mut indices: Vec<u16> = idx.into_iter().map(|k| k as u16).collect();
    let mut channels = channels;
    if design.lanes() == 2 {
        // pairs need an even channel count: the vector's 3 channels plus a silent fourth
        indices = indices
            .chunks(channels)
            .flat_map(|f| f.iter().copied().chain([512]))
            .collect();
        channels += 1;
    }
    let stim = Stimulus::new(
        *design.coder(),
        channels,
        indices,
        "known-answer vector multi",
    );
    design.check(&stim)?;
    Ok(Some(stim))
}

/// The cocotb testbench (Python) that drives the core of `design` with `stim` and checks the
/// golden model's words, word for word, and the end of the stream.
pub fn cocotb_testbench(design: &CoreDesign, stim: &Stimulus) -> Result<String> {
    let words = golden(stim)?.words;
    let list = |v: Vec<String>| {
        v.chunks(12)
            .map(|c| format!("    {},", c.join(", ")))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let samples = list(stim.samples.iter().map(|s| s.to_string()).collect());
    let words_py = list(words.iter().map(|w| format!("0x{w:08x}")).collect());
    let drive = match design.shape() {
        Shape::TwoLanes => {
            "            dut.in_pair.value = (i % CHANNELS) // 2\n            dut.in_sample0.value = SAMPLES[i]\n            dut.in_sample1.value = SAMPLES[i + 1]\n"
        }
        Shape::OneLane | Shape::Packets(_) => {
            "            dut.in_channel.value = i % CHANNELS\n            dut.in_sample.value = SAMPLES[i]\n"
        }
    };
    Ok(format!(
        r#""""cocotb testbench of the neurice core, written by `neurice verilog`.

Coder {coder}, {ch} channels of state, {lanes} lane(s). Drives the core with the known-answer
vector `multi` ({vch} channels x {frames} frames of edge cases: flat runs, full-scale steps,
noise, walks) and checks every word on `out_word` against the golden model's words (for the
hardware coder `lite`, the vector's frozen words in golden-model/tests/vectors/multi.txt; for
coder max the words of each substream in order, split by `out_stream`, the token substream's
first), then that the core goes idle after the flush. Run: `make` in this folder (SIM=verilator).
"""

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge

CHANNELS = {vch}
LANES = {lanes}
SAMPLES = [
{samples}
]
WORDS = [
{words_py}
]
MAX_CYCLES = {max_cycles}
SPLIT = {split}


@cocotb.test()
async def known_answer(dut):
    """The vector in, the golden model's words out, then idle."""
    cocotb.start_soon(Clock(dut.clock, 10, units="ns").start())
    dut.in_valid.value = 0
    dut.flush.value = 0
    dut.clear.value = 0
    dut.out_ready.value = 1
    got = []
    i = 0
    for cycle in range(MAX_CYCLES):
        await FallingEdge(dut.clock)
        feeding = i < len(SAMPLES)
        dut.in_valid.value = int(feeding)
        dut.flush.value = int(not feeding)
        if feeding:
{drive}        await ReadOnly()
        took_in = feeding and int(dut.in_ready.value) == 1
        took_out = int(dut.out_valid.value) == 1
        word = int(dut.out_word.value) if took_out else None
        stream = int(dut.out_stream.value) if took_out and SPLIT else 0
        done = (not feeding) and int(dut.idle.value) == 1 and not took_out
        if done:
            break
        await RisingEdge(dut.clock)
        if took_in:
            i += LANES
        if took_out:
            got.append((stream, word))
    else:
        raise AssertionError(f"the core was not idle after {{MAX_CYCLES}} cycles ({{i}} samples taken, {{len(got)}} words)")
    # coder max: the substreams' words interleave in the core's own order; each in order
    got = [w for s in (0, 1) for (t, w) in got if t == s]
    for n, (g, w) in enumerate(zip(got, WORDS)):
        assert g == w, f"word {{n}}: core 0x{{g:08x}}, golden model 0x{{w:08x}}"
    assert len(got) == len(WORDS), f"{{len(got)}} words from the core, {{len(WORDS)}} from the golden model"
    dut._log.info("%d samples in, %d words out, every word as the golden model's", len(SAMPLES), len(got))
"#,
        coder = design.kind(),
        ch = design.channels(),
        lanes = design.lanes(),
        vch = stim.channels,
        frames = stim.samples.len() / stim.channels.max(1),
        max_cycles = 20 * stim.samples.len() + 4 * design.channels() + 10_000,
        split = if design.kind() == neurice_model::Coder::Max {
            "True"
        } else {
            "False"
        },
    ))
}

/// The Makefile that runs [`cocotb_testbench`] (`test_neurice_core.py`) on `verilog_file`
/// (relative to the testbench's folder) with cocotb's Verilator flow.
pub fn cocotb_makefile(verilog_file: &str) -> String {
    format!(
        "# cocotb testbench of the neurice core, written by `neurice verilog`: `make` runs it\n\
         # (cocotb 1.8, Verilator >= 5.006; results in results.xml).\n\
         SIM ?= verilator\n\
         TOPLEVEL_LANG = verilog\n\
         VERILOG_SOURCES = $(abspath {verilog_file})\n\
         TOPLEVEL = {TOP}\n\
         MODULE = test_neurice_core\n\
         # rust-hdl's Verilog: widths of its masked casts (waived in lint.vlt for the lint)\n\
         EXTRA_ARGS += -Wno-fatal\n\
         # cocotb installed in a virtual environment: the simulator's embedded Python uses it\n\
         COCOTB_PY := $(shell cocotb-config --python-bin)\n\
         ifneq ($(wildcard $(dir $(COCOTB_PY))../pyvenv.cfg),)\n\
         export VIRTUAL_ENV ?= $(abspath $(dir $(COCOTB_PY))..)\n\
         endif\n\
         include $(shell cocotb-config --makefiles)/Makefile.sim\n"
    )
}
