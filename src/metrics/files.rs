//! Everything a run leaves on disk for later study, in one call: an `.hgrm` per probe and per baseline, and one
//! SVG with all of them.

use std::io;
use std::path::{Path, PathBuf};

use hdrhistogram::Histogram;

use super::{Latency, PROBES, hgrm::write_hgrm, plot::write_svg};

/// A series name made safe for a file name: ASCII letters, digits, `-` and `_` kept, anything else `_`.
pub fn file_stem(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() {
        "series".to_string()
    } else {
        s
    }
}

/// Writes into `dir` (created if needed):
/// - `<prefix><probe>.hgrm` for each probe with samples (µs),
/// - `<prefix><baseline>.hgrm` for each non-empty baseline (name through [`file_stem`]),
/// - `<prefix>latency.svg`: probes with samples, then the baselines, titled `title`.
///
/// Returns the paths written, the SVG last.
pub fn write_report_files(
    lat: &Latency,
    baselines: &[(&str, &Histogram<u64>)],
    dir: impl AsRef<Path>,
    prefix: &str,
    title: &str,
) -> io::Result<Vec<PathBuf>> {
    let dir = dir.as_ref();
    std::fs::create_dir_all(dir)?;
    let mut written = super::hgrm::write_all_hgrm(lat, dir, prefix)?;
    for (name, h) in baselines {
        if h.is_empty() {
            continue;
        }
        let path = dir.join(format!("{prefix}{}.hgrm", file_stem(name)));
        write_hgrm(h, &path)?;
        written.push(path);
    }
    let mut series: Vec<(&str, &Histogram<u64>)> = PROBES
        .into_iter()
        .filter(|p| lat.count(*p) > 0)
        .map(|p| (p.name(), lat.histogram(p)))
        .collect();
    series.extend_from_slice(baselines);
    let svg = dir.join(format!("{prefix}latency.svg"));
    write_svg(&series, title, &svg)?;
    written.push(svg);
    Ok(written)
}
