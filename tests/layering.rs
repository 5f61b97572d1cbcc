//! The layers of DESIGN.md §2.1, enforced: arrows only point down.
//!
//! ground (`net`, `num`, `metrics`) imports nothing above it; the core (`book`, `orders`, `engine`, `strategy`,
//! `paper`) imports nothing from a venue or a face (`venue`, `cli`, `ffi`). Every `crate::<module>` path in a file
//! counts, whether in a `use` or inline, so a test module inside a core file is held to the same rule.

use std::path::{Path, PathBuf};

const GROUND: &[&str] = &["net", "num", "metrics"];
const CORE: &[&str] = &["book", "orders", "engine", "strategy", "paper"];
const ABOVE_CORE: &[&str] = &["venue", "cli", "ffi"];

fn rust_files(p: &Path, out: &mut Vec<PathBuf>) {
    if p.is_file() {
        if p.extension().is_some_and(|e| e == "rs") {
            out.push(p.to_path_buf());
        }
        return;
    }
    for e in std::fs::read_dir(p).expect("read src dir") {
        rust_files(&e.expect("dir entry").path(), out);
    }
}

/// The top-level modules a file names through `crate::…` (also `crate::{a, b}` groups), without comments.
fn crate_refs(src: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in src.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            let after = &rest[i + "crate::".len()..];
            if let Some(group) = after.strip_prefix('{') {
                let body = group.split('}').next().unwrap_or("");
                for item in body.split(',') {
                    let name: String = item
                        .trim()
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() {
                        out.push(name);
                    }
                }
            } else {
                let name: String = after
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                out.push(name);
            }
            rest = after;
        }
    }
    out
}

fn module_of(root: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(root).expect("under src");
    let first = rel.components().next().expect("a component");
    first
        .as_os_str()
        .to_string_lossy()
        .trim_end_matches(".rs")
        .to_string()
}

fn violations() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut bad = Vec::new();
    for f in files {
        let m = module_of(&root, &f);
        let forbidden: Vec<&str> = if GROUND.contains(&m.as_str()) {
            CORE.iter().chain(ABOVE_CORE).copied().collect()
        } else if CORE.contains(&m.as_str()) {
            ABOVE_CORE.to_vec()
        } else {
            continue;
        };
        let src = std::fs::read_to_string(&f).expect("read source");
        for r in crate_refs(&src) {
            if forbidden.contains(&r.as_str()) {
                bad.push(format!("{} ({m}) imports crate::{r}", f.display()));
            }
        }
    }
    bad
}

#[test]
fn arrows_only_point_down() {
    let bad = violations();
    assert!(bad.is_empty(), "layering violations:\n{}", bad.join("\n"));
}

#[test]
fn the_scanner_sees_every_spelling() {
    // The check is only as good as its reading of paths: each spelling a violation could take must be found.
    let src = "use crate::venue::ascendex::X;\nlet a = crate::cli::run();\nuse crate::{num, ffi::abi};\n// crate::venue in a comment\n";
    assert_eq!(crate_refs(src), ["venue", "cli", "num", "ffi"]);
}

/// Every `ascendex_hft::…` (examples) or `crate::…` (strategies) path a file names, besides the prelude.
fn beyond_prelude(src: &str, root: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in src.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find(root) {
            let after = &rest[i + root.len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if name != "prelude" {
                out.push(format!("{root}{name}"));
            }
            rest = after;
        }
    }
    out
}

#[test]
fn examples_and_sample_strategies_use_only_the_prelude() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&dir.join("examples"), &mut files);
    let mut strategies = Vec::new();
    rust_files(&dir.join("src/strategies"), &mut strategies);
    assert!(!files.is_empty() && !strategies.is_empty());
    let mut bad = Vec::new();
    for (f, root) in files
        .iter()
        .map(|f| (f, "ascendex_hft::"))
        .chain(strategies.iter().map(|f| (f, "crate::")))
    {
        let src = std::fs::read_to_string(f).expect("read source");
        // A module file may name its own children (`pub use market_maker::…`) and nothing else of the crate.
        for p in beyond_prelude(&src, root) {
            bad.push(format!("{}: {p}", f.display()));
        }
        if root == "ascendex_hft::" {
            for dep in ["ascendex_sim::", "extern crate"] {
                if src.contains(dep) {
                    bad.push(format!("{}: {dep}", f.display()));
                }
            }
        }
    }
    assert!(bad.is_empty(), "beyond the prelude:\n{}", bad.join("\n"));
    assert_eq!(
        beyond_prelude(
            "use ascendex_hft::prelude::*;\nuse ascendex_hft::venue::X;",
            "ascendex_hft::"
        ),
        ["ascendex_hft::venue"]
    );
}
