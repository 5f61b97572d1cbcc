//! The `ascendex` command line.

fn main() {
    println!("ascendex {}", env!("CARGO_PKG_VERSION"));
}
