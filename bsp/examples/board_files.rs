//! Writes the board Verilog (`top.v`) and pin constraints (`top.pcf`) into a folder, for running
//! yosys / nextpnr by hand: `cargo run --release -p neurice-bsp --example board_files -- OUT_DIR
//! [CORE_MHZ [lite|max]]` (default: coder lite at its default clock).

use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let usage = "usage: board_files OUT_DIR [CORE_MHZ [lite|max]]";
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().ok_or_else(|| anyhow::anyhow!("{usage}"))?);
    let mhz = args.next();
    let coder = match args.next().as_deref() {
        None | Some("lite") => neurice_model::Coder::Lite,
        Some("max") => neurice_model::Coder::Max,
        Some("v2") => anyhow::bail!("{}", neurice_hdl::v2::CORE_RETIRED),
        Some(c) => anyhow::bail!("unknown coder {c:?}; {usage}"),
    };
    let mut params = neurice_bsp::BoardParams::for_coder(neurice_model::CoderSpec::hardware(coder));
    if let Some(mhz) = mhz {
        params.core_mhz = mhz
            .parse()
            .map_err(|e| anyhow::anyhow!("core clock {mhz:?} is not a whole number of MHz: {e}"))?;
    }
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("top.v"), neurice_bsp::board_verilog(&params)?)?;
    std::fs::write(dir.join("top.pcf"), neurice_bsp::pcf())?;
    println!(
        "wrote {}/top.v and top.pcf for coder {coder} at a {} MHz core clock",
        dir.display(),
        params.core_mhz
    );
    Ok(())
}
