//! The `ascendex` command line; everything lives in `ascendex_hft::cli` (DESIGN.md §4).

fn main() {
    std::process::exit(ascendex_hft::cli::main());
}
