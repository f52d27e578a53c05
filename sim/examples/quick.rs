use neurice_sim::*;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = &args[1];
    let ch: usize = args.get(2).map(|s| s.parse().unwrap()).unwrap_or(1);
    let max: usize = args.get(3).map(|s| s.parse().unwrap()).unwrap_or(20000);
    let gap: u32 = args.get(4).map(|s| s.parse().unwrap()).unwrap_or(0);
    let mut samples = load_indices(std::path::Path::new(path)).unwrap();
    samples.truncate(max);
    let stim = Stimulus {
        channels: ch,
        samples,
        input_gap_per_mille: gap,
        backpressure_per_mille: gap,
        seed: 7,
        label: path.clone(),
    };
    let r = rusthdl::run(&stim, &mut |_| {}).unwrap();
    println!("{}", serde_json::to_string_pretty(&r).unwrap());
}
