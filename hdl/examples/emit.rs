//! Writes the core's Verilog to stdout: `cargo run -p neurice-hdl --example emit [CHANNELS]`.
fn main() {
    let channels = std::env::args()
        .nth(1)
        .map(|s| s.parse().expect("channel count"))
        .unwrap_or(1024);
    match neurice_hdl::verilog(&neurice_model::CodecParams::HARDWARE, channels) {
        Ok(v) => print!("{v}"),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
