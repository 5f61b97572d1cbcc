fn main() {
    std::process::exit(ascendex_sim::cli::run_cli(std::env::args().skip(1)));
}
