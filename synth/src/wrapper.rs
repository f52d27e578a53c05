//! A register wrapper for placing and routing a design with more ports than the package has
//! pins (the core alone has 60; the iCE40UP5K-SG48 has 39 user I/O).
//!
//! ```text
//!  clock ─▶ 32-bit XNOR LFSR ─▶ shift register, one bit per core input ─▶ core ─▶ all
//!           outputs XOR-folded into one register ─▶ pin `probe`
//! ```
//!
//! Every core input comes from a register and every output goes into one, as in a real
//! embedding, so the timing is the core's own register-to-register timing; nothing is
//! constant, so yosys removes nothing. The wrapper costs 32 + (input bits) + 1 flip-flops
//! and a few LUTs for the XOR fold ([`Wrapped::extra_ffs`]); its function is meaningless
//! (the core's function is verified by the simulations, not here).

use anyhow::{bail, Result};

/// A port of a module header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Port {
    pub name: String,
    pub input: bool,
    pub width: usize,
}

/// The ports of module `top` as rust-hdl and yosys write them: `input wire [9:0] name;`,
/// `output reg name;` declarations, one per line, after `module top(`.
pub fn module_ports(verilog: &str, top: &str) -> Result<Vec<Port>> {
    let head = format!("module {top}(");
    let start = verilog
        .find(&head)
        .ok_or_else(|| anyhow::anyhow!("no `module {top}(` in the Verilog"))?;
    let mut ports = Vec::new();
    for line in verilog[start..].lines().skip(1) {
        let t = line.trim();
        if t.starts_with("endmodule") {
            break;
        }
        let input = t.starts_with("input ");
        if !(input || t.starts_with("output ")) {
            if !ports.is_empty() && !t.is_empty() && !t.starts_with("//") {
                break; // declarations end where the body starts
            }
            continue;
        }
        let decl = t.trim_end_matches(';');
        let mut width = 1;
        if let (Some(a), Some(b)) = (decl.find('['), decl.find(']')) {
            let range = &decl[a + 1..b];
            let (msb, lsb) = range
                .split_once(':')
                .ok_or_else(|| anyhow::anyhow!("cannot read the range of `{t}`"))?;
            let (msb, lsb): (usize, usize) = (msb.trim().parse()?, lsb.trim().parse()?);
            width = msb.abs_diff(lsb) + 1;
        }
        let name = decl
            .split_whitespace()
            .last()
            .ok_or_else(|| anyhow::anyhow!("cannot read the port name of `{t}`"))?
            .to_string();
        ports.push(Port { name, input, width });
    }
    if ports.is_empty() {
        bail!("module {top} declares no ports");
    }
    Ok(ports)
}

/// A design inside the register wrapper.
#[derive(Clone, Debug)]
pub struct Wrapped {
    /// The design's Verilog followed by the wrapper module.
    pub verilog: String,
    /// The wrapper's module name (the new top).
    pub top: String,
    /// Flip-flops the wrapper adds (LFSR, input shift register, output register).
    pub extra_ffs: usize,
    /// Ports of the wrapped design (each of its width).
    pub ports: usize,
}

/// Wraps module `top` (clock input `clock`) of `verilog` in `<top>_pins(clock, probe)`.
pub fn register_wrapper(verilog: &str, top: &str) -> Result<Wrapped> {
    use std::fmt::Write as _;
    let ports = module_ports(verilog, top)?;
    if !ports
        .iter()
        .any(|p| p.name == "clock" && p.input && p.width == 1)
    {
        bail!("module {top} has no 1-bit `clock` input to drive the wrapper from");
    }
    let ins: Vec<&Port> = ports
        .iter()
        .filter(|p| p.input && p.name != "clock")
        .collect();
    let outs: Vec<&Port> = ports.iter().filter(|p| !p.input).collect();
    let in_bits: usize = ins.iter().map(|p| p.width).sum::<usize>().max(1);
    let out_bits: usize = outs.iter().map(|p| p.width).sum::<usize>();
    if out_bits == 0 {
        bail!("module {top} has no outputs: nothing would survive synthesis");
    }
    let name = format!("{top}_pins");
    let mut v = String::from(verilog);
    let _ = write!(
        v,
        "\n\n// register wrapper for place and route (neurice_synth::wrapper)\n\
         module {name}(clock, probe);\n    input wire clock;\n    output reg probe;\n\
         \x20   reg [31:0] lfsr;\n    reg [{im}:0] ins;\n    wire [{om}:0] outs;\n\
         \x20   initial begin lfsr = 32'd0; ins = {in_bits}'d0; probe = 1'b0; end\n\
         \x20   always @(posedge clock) begin\n\
         \x20       lfsr <= {{lfsr[30:0], ~(lfsr[31] ^ lfsr[21] ^ lfsr[1] ^ lfsr[0])}};\n",
        im = in_bits - 1,
        om = out_bits - 1,
    );
    if in_bits == 1 {
        let _ = writeln!(v, "        ins <= lfsr[31];");
    } else {
        let _ = writeln!(v, "        ins <= {{ins[{}:0], lfsr[31]}};", in_bits - 2);
    }
    let _ = writeln!(v, "        probe <= ^outs;\n    end");
    let mut conns = vec![".clock(clock)".to_string()];
    let mut at = 0;
    for p in &ins {
        conns.push(format!(".{}(ins[{}:{at}])", p.name, at + p.width - 1));
        at += p.width;
    }
    let mut at = 0;
    for p in &outs {
        conns.push(format!(".{}(outs[{}:{at}])", p.name, at + p.width - 1));
        at += p.width;
    }
    let _ = writeln!(v, "    {top} core({});\nendmodule", conns.join(", "));
    Ok(Wrapped {
        verilog: v,
        top: name,
        extra_ffs: 32 + in_bits + 1,
        ports: ports.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CORE: &str = "\nmodule top(clock,a,b,y);\n    \n    // Module arguments\n    \
                        input wire  clock;\n    input wire  [9:0] a;\n    input wire  b;\n    \
                        output reg  [31:0] y;\n    \n    // Constant declarations\n    \
                        localparam k = 1'b1;\nendmodule\n";

    #[test]
    fn ports_are_read_from_the_header() {
        let p = module_ports(CORE, "top").unwrap();
        let got: Vec<(&str, bool, usize)> = p
            .iter()
            .map(|p| (p.name.as_str(), p.input, p.width))
            .collect();
        assert_eq!(
            got,
            [
                ("clock", true, 1),
                ("a", true, 10),
                ("b", true, 1),
                ("y", false, 32)
            ]
        );
        assert!(module_ports(CORE, "other").is_err());
    }

    #[test]
    fn wrapper_drives_every_input_and_folds_every_output() {
        let w = register_wrapper(CORE, "top").unwrap();
        assert_eq!(w.top, "top_pins");
        assert_eq!(w.extra_ffs, 32 + 11 + 1);
        assert!(w
            .verilog
            .contains("top core(.clock(clock), .a(ins[9:0]), .b(ins[10:10]), .y(outs[31:0]));"));
        assert!(w.verilog.contains("probe <= ^outs;"));
    }
}
