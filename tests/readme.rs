//! The README's strategy is the one CI compiles and runs: its ```rust block must be `examples/readme_strategy.rs`
//! (without the file's header comment).

#[test]
fn the_readme_strategy_is_the_compiled_example() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(dir.join("README.md")).expect("README");
    let example =
        std::fs::read_to_string(dir.join("examples/readme_strategy.rs")).expect("example");
    let body: String = example
        .lines()
        .skip_while(|l| l.starts_with("//!") || l.is_empty())
        .map(|l| format!("{l}\n"))
        .collect();
    let start = readme
        .find("```rust\n")
        .expect("a ```rust block in the README")
        + "```rust\n".len();
    let end = start + readme[start..].find("```\n").expect("its end");
    assert_eq!(
        readme[start..end].trim(),
        body.trim(),
        "README.md's ```rust block differs from examples/readme_strategy.rs"
    );
}
