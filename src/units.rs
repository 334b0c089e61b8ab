//! Numbers as people read them: thousands separated, latencies in the unit
//! that fits. The window and the command line say them the same way.

/// A latency in the unit that reads best ("-" before there is one).
pub fn micros(us: u64) -> String {
    match us {
        0 => "-".to_owned(),
        1..1_000 => format!("{us} µs"),
        1_000..1_000_000 => format!("{:.2} ms", us as f64 / 1e3),
        _ => format!("{:.2} s", us as f64 / 1e6),
    }
}

/// A count and its noun: "1 connection", "5 connections".
pub fn plural(count: u64, one: &str, many: &str) -> String {
    if count == 1 {
        format!("{count} {one}")
    } else {
        format!("{count} {many}")
    }
}

/// 1234567 as "1,234,567".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_with_their_units() {
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(12), "12");
        assert_eq!(micros(312), "312 µs");
        assert_eq!(micros(0), "-");
        assert_eq!(micros(1_200), "1.20 ms");
        assert_eq!(micros(2_500_000), "2.50 s");
    }
}
