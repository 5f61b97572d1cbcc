//! The ground layer (`net`) imports nothing above it (DESIGN §2.1): no `engine`, venue, CLI, FFI, strategy or
//! state types in `src/net/`. `Endpoint` lives in `net::endpoint` and `engine` re-exports it.

#[test]
fn net_imports_nothing_above_it() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/net");
    let above = [
        "crate::engine",
        "crate::venue",
        "crate::cli",
        "crate::ffi",
        "crate::strategy",
        "crate::paper",
        "crate::book",
        "crate::orders",
        "super::super::",
    ];
    let mut bad = Vec::new();
    let mut files = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_some_and(|x| x == "rs") {
            files += 1;
            let text = std::fs::read_to_string(&path).unwrap();
            for (i, line) in text.lines().enumerate() {
                if let Some(a) = above.iter().find(|a| line.contains(*a)) {
                    bad.push(format!(
                        "{}:{}: {a}: {}",
                        path.display(),
                        i + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(files >= 5, "no sources found in {dir}");
    assert!(bad.is_empty(), "net reaches up:\n{}", bad.join("\n"));
}

#[test]
fn endpoint_is_the_same_type_through_engine() {
    let (a, p) = ascendex_hft::net::endpoint::Endpoint::parse_url("wss://127.0.0.1:9/x?y").unwrap();
    let b: ascendex_hft::engine::Endpoint = a.clone();
    assert_eq!((b, p.as_str()), (a, "/x?y"));
}
