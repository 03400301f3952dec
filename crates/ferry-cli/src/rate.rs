//! `--bwlimit RATE`: bytes per second, as rclone writes them — `10M` both ways, `10M:50M`
//! up:down, `0` or `off` for none; K, M, G are powers of 1,024 (a trailing `B`, `iB` or `/s`
//! is allowed).

/// Upload and download limits in bytes per second (0: none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rates {
    pub up: u64,
    pub down: u64,
}

pub fn parse_rates(text: &str) -> Result<Rates, String> {
    match text.split_once(':') {
        Some((up, down)) => Ok(Rates {
            up: parse_rate(up)?,
            down: parse_rate(down)?,
        }),
        None => {
            let both = parse_rate(text)?;
            Ok(Rates {
                up: both,
                down: both,
            })
        }
    }
}

fn parse_rate(text: &str) -> Result<u64, String> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("off") {
        return Ok(0);
    }
    let t = t.strip_suffix("/s").unwrap_or(t);
    amount(t).ok_or_else(|| {
        format!("{text:?} is not a rate: write bytes per second such as 500K, 10M or 1.5G (up:down for two), or off")
    })
}

/// `SIZE` as `find --larger-than` takes it: `500K`, `10M`, `1.5G`, `2GiB`, or bytes.
pub fn parse_size(text: &str) -> Result<u64, String> {
    amount(text.trim())
        .ok_or_else(|| format!("{text:?} is not a size: write bytes, or 500K, 10M, 1.5G"))
}

/// A number of bytes with an optional K, M or G (powers of 1,024) and `B` or `iB`.
fn amount(t: &str) -> Option<u64> {
    let t = t
        .strip_suffix("iB")
        .or_else(|| t.strip_suffix('B'))
        .unwrap_or(t);
    let (number, scale) = match t.chars().last().map(|c| c.to_ascii_uppercase()) {
        Some('K') => (&t[..t.len() - 1], 1u64 << 10),
        Some('M') => (&t[..t.len() - 1], 1 << 20),
        Some('G') => (&t[..t.len() - 1], 1 << 30),
        _ => (t, 1),
    };
    let value: f64 = number.trim().parse().ok()?;
    (value.is_finite() && value >= 0.0).then(|| (value * scale as f64).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_read_as_rclone_writes_them() {
        assert_eq!(
            parse_rates("10M").unwrap(),
            Rates {
                up: 10 << 20,
                down: 10 << 20
            }
        );
        assert_eq!(
            parse_rates("512K:2M").unwrap(),
            Rates {
                up: 512 << 10,
                down: 2 << 20
            }
        );
        assert_eq!(parse_rates("1.5GiB/s").unwrap().up, 3 << 29);
        assert_eq!(parse_rates("off").unwrap(), Rates { up: 0, down: 0 });
        assert_eq!(parse_rates("0:1000").unwrap(), Rates { up: 0, down: 1000 });
    }

    #[test]
    fn sizes_read_as_rates_do() {
        assert_eq!(parse_size("500K").unwrap(), 500 << 10);
        assert_eq!(parse_size("2GiB").unwrap(), 2 << 30);
        assert_eq!(parse_size("1234").unwrap(), 1234);
        assert!(parse_size("big").unwrap_err().contains("not a size"));
        assert!(parse_size("-1M").is_err());
    }

    #[test]
    fn a_rate_that_is_not_one_is_refused_with_examples() {
        for bad in ["fast", "-1M", "10X", "", "1M:"] {
            let err = parse_rates(bad).unwrap_err();
            assert!(err.contains("rate"), "{bad}: {err}");
        }
    }
}
