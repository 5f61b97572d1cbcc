//! Bar intervals and their calendar: fixed lengths up to a week, `1w` from Monday, `1m` = one calendar month (UTC).

#[derive(Clone, Copy, Debug, Default)]
pub struct Bar {
    pub ts: u64,
    pub o: i64,
    pub h: i64,
    pub l: i64,
    pub c: i64,
    pub v: i64,
}

/// Bar intervals as named by the API; `1m` is one calendar month.
pub const INTERVALS: [&str; 12] = [
    "1", "5", "15", "30", "60", "120", "240", "360", "720", "1d", "1w", "1m",
];
pub const INTERVAL_MS: [u64; 12] = [
    60_000,
    300_000,
    900_000,
    1_800_000,
    3_600_000,
    7_200_000,
    14_400_000,
    21_600_000,
    43_200_000,
    86_400_000,
    604_800_000,
    2_592_000_000,
];

/// Days since 1970-01-01 -> (year, month 1..12, day 1..31) (proleptic Gregorian).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Start (ms) of the bar of interval `i` containing `ts`. Weeks start on Monday, months on the 1st (UTC).
pub fn bar_start(i: usize, ts: u64) -> u64 {
    let ts_i = ts as i64;
    match INTERVALS[i] {
        "1w" => {
            // 1970-01-01 was a Thursday; Monday 1969-12-29 is day -3.
            let day = ts_i.div_euclid(86_400_000);
            let monday = day - (day + 3).rem_euclid(7);
            (monday * 86_400_000) as u64
        }
        "1m" => {
            let (y, m, _) = civil_from_days(ts_i.div_euclid(86_400_000));
            (days_from_civil(y, m, 1) * 86_400_000) as u64
        }
        _ => ts - ts % INTERVAL_MS[i],
    }
}

/// Start of the bar before the one starting at `start`.
pub fn prev_bar_start(i: usize, start: u64) -> u64 {
    if INTERVALS[i] == "1m" {
        let (y, m, _) = civil_from_days((start as i64).div_euclid(86_400_000));
        let (py, pm) = if m == 1 { (y - 1, 12) } else { (y, m - 1) };
        (days_from_civil(py, pm, 1) * 86_400_000) as u64
    } else {
        start - INTERVAL_MS[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_and_week_bars_start_on_calendar_boundaries() {
        // 2024-02-15T12:00:00Z
        let ts = 1_707_998_400_000;
        assert_eq!(bar_start(11, ts), 1_706_745_600_000); // 2024-02-01
        assert_eq!(prev_bar_start(11, 1_706_745_600_000), 1_704_067_200_000); // 2024-01-01
        assert_eq!(bar_start(10, ts), 1_707_696_000_000); // Monday 2024-02-12
        assert_eq!(bar_start(0, ts + 59_999), ts);
    }
}
