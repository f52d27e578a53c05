//! Writes the board Verilog (`top.v`) and pin constraints (`top.pcf`) into a folder, for running
//! yosys / nextpnr by hand: `cargo run --release -p neurice-bsp --example board_files -- OUT_DIR
//! [CORE_MHZ]`.

use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next()
            .ok_or_else(|| anyhow::anyhow!("usage: board_files OUT_DIR [CORE_MHZ]"))?,
    );
    let mut params = neurice_bsp::BoardParams::default();
    if let Some(mhz) = args.next() {
        params.core_mhz = mhz
            .parse()
            .map_err(|e| anyhow::anyhow!("core clock {mhz:?} is not a whole number of MHz: {e}"))?;
    }
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("top.v"), neurice_bsp::board_verilog(&params)?)?;
    std::fs::write(dir.join("top.pcf"), neurice_bsp::pcf())?;
    println!(
        "wrote {}/top.v and top.pcf for a {} MHz core clock",
        dir.display(),
        params.core_mhz
    );
    Ok(())
}
